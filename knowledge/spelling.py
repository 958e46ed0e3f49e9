"""Typos in a question, read as the FAQ base's words they are one slip from.

The sentence encoder splits a misspelt word into pieces it never learnt together, and BM25
finds no such word: "how lng dose delivry take" scored under the similarity floor against
every entry, and "retrun policy" got no answer where "return policy" got one at 0.97. A word
that neither the encoder's vocabulary nor the base's phrasings have, and that is one slip
(a letter dropped, added, changed, or two swapped) from a word of the phrasings, is read as
that word. Known words are never changed: a real word typed for another ("dose" for "does")
is the encoder's to read in context.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping

from knowledge.entries import FaqEntry

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[A-Za-z]+")
#: Shorter words are left alone: one slip from a two-letter word is most other words.
MIN_LENGTH = 3

#: A base's words, each with how many phrasings have it (the likelier reading of a typo).
WordCounts = Mapping[str, int]


def phrasing_words(entry: FaqEntry) -> set[str]:
    """The lowercased letter words of an entry's phrasings (each counted once per entry)."""
    return {w.lower() for p in entry.phrasings for w in _WORD.findall(p)}


def counted_words(
    counts: WordCounts, gone: Iterable[FaqEntry | None], added: Iterable[FaqEntry]
) -> dict[str, int]:
    """``counts`` without the words of the entries in ``gone`` (as they were), with those of
    ``added`` (a copy: the state it came from stays as searchers saw it).

    Counts, not the entries' ids as ``IndexState.said`` keeps: a common word is in most
    entries, and a set of ids per word made building it quadratic (100k entries: 257 s
    against 0.3 s); a typo needs only how common each word is.
    """
    out = dict(counts)
    for entry in gone:
        for word in phrasing_words(entry) if entry is not None else ():
            left = out.get(word, 0) - 1
            if left > 0:
                out[word] = left
            else:
                out.pop(word, None)
    for entry in added:
        for word in phrasing_words(entry):
            out[word] = out.get(word, 0) + 1
    return out


def one_slip(word: str) -> Iterator[str]:
    """Every string one letter dropped, swapped with the next, changed or added away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for left, right in splits:
        if right:
            yield left + right[1:]
            for letter in _LETTERS:
                if letter != right[0]:
                    yield left + letter + right[1:]
        if len(right) > 1:
            yield left + right[1] + right[0] + right[2:]
        for letter in _LETTERS:
            yield left + letter + right


def spelled(text: str, known: Collection[str], counts: WordCounts) -> str:
    """``text`` with each unknown word one slip from a base word replaced by that word
    (the one most phrasings have); the text itself when nothing changes.

    Args:
        known: words to leave as they are besides the base's (the encoder's vocabulary).
        counts: the base's words (``counted_words``).
    """

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if len(low) < MIN_LENGTH or low in counts or low in known:
            return word
        best = max(
            (c for c in set(one_slip(low)) if c in counts),
            key=lambda c: (counts[c], c),
            default=None,
        )
        return best if best is not None else word

    return _WORD.sub(fix, text)
