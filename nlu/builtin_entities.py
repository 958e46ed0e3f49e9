"""Entities found by pattern without examples: the Duckling dimensions a form usually asks for.

Rasa projects get these from a Duckling server (``DucklingEntityExtractor``), which deskbot
does not run. A project names the ones it wants (``deskbot.nlu.builtin_entities``, or the
``dimensions`` of its Duckling component); they become regexes of the training data, found
after the network wherever it found nothing, or only pieces of the match (the "acme" of
"john@acme.example" tagged as an order number no longer hides the address).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nlu.data import TrainingData
from nlu.errors import NluError

# Dimensions whose value is the text itself, as a user types it in a chat message. Those that
# Duckling normalises (numbers in words, times, amounts) are not offered.
BUILTIN_ENTITIES: Mapping[str, str] = {
    "email": r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])",
    "url": r"(?<![\w@])(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]",
    # One digit per group: with \d+ a long run of digits had exponentially many splits to
    # try before failing (26 digits and a letter took 3 s, holding the worker). Dates
    # (2024-01-15, 15.01.2024) have as many digits and are not phone numbers; a date shape
    # followed by more digit groups (06.12.34.56.78) is one.
    "phone-number": (
        r"(?<![\w+(])(?!(?:\d{4}-\d\d-\d\d|\d\d?[./]\d\d?[./]\d\d(?:\d\d)?)(?![ ./-]?\d))"
        r"\+?\(?\d(?:[ .-]?\(?\d\)?){6,14}(?!\w)"
    ),
}


def check_builtin_entities(names: Iterable[str]) -> None:
    """Raises:
    NluError: a name that is not a built-in entity."""
    unknown = [n for n in names if n not in BUILTIN_ENTITIES]
    if unknown:
        raise NluError(
            f"unknown built-in entity {unknown[0]!r}; known: {', '.join(BUILTIN_ENTITIES)}"
        )


def with_builtin_entities(data: TrainingData, names: Iterable[str]) -> TrainingData:
    """``data`` with the patterns of the named built-in entities among its regexes.

    Raises:
        NluError: a name that is not a built-in entity.
    """
    names = tuple(names)
    check_builtin_entities(names)
    return data.merge(TrainingData(regexes={n: (BUILTIN_ENTITIES[n],) for n in names}))
