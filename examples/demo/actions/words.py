"""What a customer's words at the return form mean: yes, no, a pause, a question back,
no reason, an item of the order by name."""

from __future__ import annotations

import difflib
import re
import unicodedata

BOTH = {"both", "both of them", "all", "all of them", "everything", "the whole order"}
ONE_AT_A_TIME = (
    "Let's return one item at a time. Which one first? You can return the other right after."
)
NOT_A_REASON = {
    "help", "help me", "yes", "yeah", "yep", "sure", "okay", "hmm", "hm", "what", "why",
    "huh", "please", "hello", "hi",
}  # fmt: skip
OKAY = {"ok", "okay", "k", "fine", "alright", "all right", "got it", "i see"}
# A return needs no reason: these are answers, recorded as NO_REASON (they were told how
# to stop the return, again and again, as if they had said no).
NO_REASON_GIVEN = {
    "no reason", "no particular reason", "none", "nothing", "i don't know", "idk",
    "dunno", "no idea", "not sure", "just because", "rather not say", "i'd rather not say",
    "prefer not to say", "i prefer not to say", "n a", "na",
}  # fmt: skip
NO_REASON = "no reason given"
# A shrug, as an emoji (any skin tone or gender) or drawn: "I don't know" without words.
SHRUG = re.compile(
    r"\U0001f937[\U0001f3fb-\U0001f3ff]?(?:\u200d[\u2640\u2642]\ufe0f?)?|\u00af\\?_\(\u30c4\)_/\u00af"
)


def gives_no_reason(text: str) -> bool:
    """Whether ``text`` says there is no reason ("no reason", "idk", a shrug)."""
    said = words_of(SHRUG.sub(" ", text))
    return said in NO_REASON_GIVEN or (not said and SHRUG.search(text) is not None)


# A bare "no" to "why are you returning it?" may mean "no, I don't want to": the user is
# told how to stop, as a "no" anywhere else in the form is.
JUST_NO = {"no", "nope", "nah", "no thanks", "no thank you", "n"}
# A reason at the reason question; at the item question, a user who may want to stop.
CHANGED_MIND = {
    "changed my mind",
    "i changed my mind",
    "i've changed my mind",
    "i ve changed my mind",
}
REASON_HELP = (
    "Tell me in a few words why you're returning it, for example \u201cit's too small\u201d or "
    "\u201cit arrived damaged\u201d. To stop the return, say \u201cstop\u201d."
)
# A question or a pause at the reason question is no reason ("why do you need to know?",
# "wait" and "hmm let me think" were registered as reasons, and the return submitted). A
# pause is a message of fillers only: "um, it is too small" is a reason.
FILLERS = re.compile(
    r"\b(?:wait|hold on|hang on|(?:just )?(?:one|a) (?:sec|second|moment|minute)|hmm+|um+|"
    r"uh+|erm|let me think|let me see|good question|i need to think|well|so|ok|okay)\b"
)
# A question back: a message ending in "?" that starts like one ("does not fit?" is a
# reason), or one of these said without the "?".
ASKS_BACK = re.compile(
    r"^(?:why|what|how|who|do (?:i|you|we)|does (?:it|that)|is (?:it|that|this)|"
    r"can (?:i|you)|must i|should i|will (?:you|it)|would you)\b"
)
QUESTION_BACK = re.compile(
    r"^(?:why(?: do you (?:need|want) (?:to know|that|it))?|what do you mean|"
    r"what does that mean|do i (?:have|need) to(?: say| tell you| give (?:a|one))?|must i|"
    r"is that necessary|how come)$"
)
WHICH_ITEM_HELP = (
    "I need to know which item of the order you're sending back, so I can register its "
    "return. Choose it below or type its name; to stop the return, say \u201cstop\u201d."
)
WHY_ASKED = (
    "We ask so we can improve our products, and it helps us process the return faster. A "
    "return needs no reason, though: say \u201cno reason\u201d and I'll register it without one."
)


# Letters of any script, and apostrophes ("don't", "it’s"): a reason written in Russian or
# Japanese ("слишком маленький") had no words at all, and was taken for a pause ("Take your
# time") again and again.
WORD = re.compile(r"(?:[^\W\d_]|')+")


def words_of(text: str) -> str:
    """The message's words, lowercased, one space apart (to compare with the sets above)."""
    return " ".join(WORD.findall(text.lower().replace("\u2019", "'")))


# Words that name no item ("I want to return the case for my phone", "no, sorry, I meant
# the sleeve"; the "s" of "it's", which the item's words are split from).
NOT_ITEM_WORDS = {
    "i", "a", "an", "the", "my", "me", "it", "its", "this", "that", "one", "want", "to",
    "return", "would", "like", "please", "for", "of", "from", "order", "item", "and", "both",
    "actually", "no", "sorry", "oops", "oh", "meant", "mean", "instead", "rather", "s",
}  # fmt: skip
# How an item looks, which its name in the order does not say: "a blue lamp" in a complaint
# was tagged as the item, and the desk lamp's order was said to have "no blue lamp".
LOOKS = {
    "black", "white", "grey", "gray", "silver", "gold", "red", "pink", "orange", "yellow",
    "green", "blue", "navy", "purple", "brown", "beige", "big", "small", "large", "little",
    "new",
}  # fmt: skip


def find_item(said: str, items: list[str]) -> str | None:
    """The order's one item whose words name every word the user wrote, allowing a typo
    ("headfones", "water bottel"); None when none does or several do ("wireless charger",
    "shoe laces" and "clamp" are not the headphones, the shoes and the lamp)."""
    words = [w for w in re.findall(r"[a-z]+", said.lower()) if w not in NOT_ITEM_WORDS | LOOKS]
    if not words:
        return None
    named = [i for i in items if all(any(_same_word(w, p) for p in i.split()) for w in words)]
    return named[0] if len(named) == 1 else None


def items_named(said: str, items: list[str]) -> list[str]:
    """The order's items a message names, each part of "x and y" or "x, y" on its own."""
    parts = re.split(r",|&|\band\b|\bplus\b|\bas well as\b", said.lower())
    named = [find_item(part, items) for part in parts]
    return list(dict.fromkeys(item for item in named if item))


def _same_word(typed: str, word: str) -> bool:
    """The same word, or a typo of it (same first letter, mostly the same letters)."""
    if typed == word:
        return True
    close = difflib.SequenceMatcher(None, typed, word).ratio() >= 0.8
    return len(typed) > 3 and typed[0] == word[0] and close


def is_wide(char: str) -> bool:
    """A character of a Chinese, Japanese or Korean script (a word or syllable, not a
    letter); not an emoji, which is wide too."""
    return unicodedata.east_asian_width(char) == "W" and unicodedata.category(char) == "Lo"
