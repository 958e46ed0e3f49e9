"""The trained NLU model as the dialogue manager's parser, with concurrent calls micro-batched."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.language import LanguageCheck
from nlu import EXTRACTOR_NAME, FALLBACK_INTENT, MicroBatcher, NluModel

_WORD = re.compile(r"[^\W\d_]{3,}")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_slip(typed: str, word: str) -> bool:
    """One letter dropped, added or two neighbours swapped; one changed only in words of
    five letters or more ("hehe" is no slip of "here", "shiping" is of "shipping")."""
    if typed == word:
        return True
    if abs(len(typed) - len(word)) == 1:
        short, long_ = sorted((typed, word), key=len)
        return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
    if len(typed) != len(word):
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        i = diff[0]
        return typed[i] == word[i + 1] and typed[i + 1] == word[i]
    return len(diff) == 1 and len(word) >= 5


class NearWords:
    """Words one slip away from the project's own words of four letters or more ("wher",
    "ordr", "retrun"), found as SymSpell does, through the words with a letter deleted,
    then checked: a drop, an addition, a swap of neighbours, or in longer words a change."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = {w.lower() for w in words if len(w) >= 4}
        self.by_deletion: dict[str, set[str]] = {}
        for word in self.words:
            for deleted in _deletes(word):
                self.by_deletion.setdefault(deleted, set()).add(word)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or len(word) < 4:
            return False
        typed = word.lower()
        if typed in self.words:
            return True
        candidates = set(self.by_deletion.get(typed, ()))  # a letter dropped
        for deleted in _deletes(typed):
            if deleted in self.words:
                candidates.add(deleted)  # a letter added
            candidates |= self.by_deletion.get(deleted, set())  # changed or swapped
        return any(_one_slip(typed, known) for known in candidates)


def unknown_words_only(text: str, vocabulary: set[str], near: NearWords | None = None) -> bool:
    """True when the text has words and none of them is a word the encoder knows whole, or
    (``near``) a slip of one of the project's own words.

    A fine-tuned classifier is confidently wrong on keyboard mash ("blorp zzqx"), which no
    calibrated threshold catches; a message made only of words outside the encoder's
    vocabulary is better treated as not understood. "wher is my ordr" was such a message.
    """
    words = _WORD.findall(text)

    def known(word: str) -> bool:
        return (
            word in vocabulary or word.lower() in vocabulary or (near is not None and word in near)
        )

    return bool(words) and not any(known(w) for w in words)


def words_of(texts: Iterable[str]) -> set[str]:
    """The words (as judged above) of ``texts``, lowercased."""
    return {word.lower() for text in texts for word in _WORD.findall(text)}


class NluParser:
    """Loads a model directory once; ``parse`` goes through a micro-batcher.

    ``known``: words to count as known besides the encoder's whole-word vocabulary, the
    project's own training words ("nevermind", a stop example, was keyboard mash to a
    vocabulary that has only "never" and "mind").
    """

    def __init__(
        self,
        model: NluModel,
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 3.0,
        known: Iterable[str] = (),
        language: LanguageCheck | None = None,
    ):
        self.model = model
        self.batcher = MicroBatcher(model, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms)
        known = set(known)
        self.vocabulary = {
            token for token in model.tokenizer.get_vocab() if not token.startswith(("##", "["))
        } | known
        self.near = NearWords(known)
        self.language = language

    @classmethod
    async def load(
        cls,
        model_dir: Path,
        *,
        device: str,
        threads: int,
        known: Iterable[str] = (),
        language: str | None = None,
    ) -> NluParser:
        """Load the model; ``language``, the project's, also tells messages written in
        another (``"language"`` in the parse: see ``bot.language``)."""
        model = await asyncio.to_thread(NluModel.load, model_dir, device=device, threads=threads)
        known = set(known)
        check = None
        if language:
            check = await asyncio.to_thread(LanguageCheck, language, known)
        parser = cls(model, known=known, language=check)
        await parser.batcher.start()
        return parser

    async def parse(self, text: str) -> dict[str, Any]:
        result = (await self.batcher.parse(text)).to_dict()
        if unknown_words_only(text, self.vocabulary, self.near):
            result["intent"] = {"name": FALLBACK_INTENT, "confidence": 0.0}
            result["entities"] = [
                e for e in result["entities"] if e.get("extractor") != EXTRACTOR_NAME
            ]
        foreign = self.language.foreign(text) if self.language is not None else None
        if foreign is not None:
            result["language"] = foreign.to_json()  # the dialogue says which it speaks
            await self._read_entities_alone(result)
        return result

    async def _read_entities_alone(self, result: dict[str, Any]) -> None:
        """Read a message in another language by its entities alone, where they are
        understood: an order number or an email is the same in every language. "Wo ist
        meine Bestellung NW-48213?" got only "I can only chat in English"; read as
        "NW-48213", it is answered too. The entities stay as found in the message; what was
        read is the language's ``read_as``."""
        text = str(result.get("text") or "")
        alone = " ".join(text[e["start"] : e["end"]] for e in result["entities"]).strip()
        if not alone:
            return
        reading = (await self.batcher.parse(alone)).to_dict()
        if reading["intent"]["name"] == FALLBACK_INTENT:
            return
        result["intent"], result["intent_ranking"] = reading["intent"], reading["intent_ranking"]
        result["language"]["read_as"] = alone

    async def aclose(self) -> None:
        await self.batcher.aclose()
