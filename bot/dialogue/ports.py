"""What the dialogue manager needs from NLU and the FAQ base, as small protocols."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol


class Parser(Protocol):
    """Turns a user's text into Rasa's parse JSON (intent, ranking, entities)."""

    async def parse(self, text: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FaqAnswer:
    """An FAQ entry offered for a message; ``exact`` when the message is one of its
    phrasings as written (case, spacing and punctuation aside)."""

    key: str
    question: str
    answer: str
    score: float
    buttons: tuple[dict[str, Any], ...] = ()
    links: tuple[dict[str, Any], ...] = ()
    exact: bool = False


@dataclass(frozen=True)
class FaqChoice:
    """The FAQ base's verdict on a question: answer it, suggest entries, or nothing fits."""

    decision: Literal["answer", "suggest", "none"]
    options: tuple[FaqAnswer, ...] = ()


class FaqSource(Protocol):
    async def decide(self, text: str) -> FaqChoice: ...

    async def has_phrasing(self, text: str) -> bool:
        """Whether some entry has ``text`` as one of its phrasings (``FaqAnswer.exact``),
        known cheaply: a sure intent skips the search unless it does."""
        ...

    async def entry(self, key: str) -> FaqAnswer | None: ...
