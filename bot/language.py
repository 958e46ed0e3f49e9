"""Telling a message written in another language than the bot's.

The NLU model was trained in the project's language: "Hallo, wo ist meine Bestellung?" was
read as a greeting, "¿Dónde está mi pedido?" as not understood, and the user never learnt
why. A message is judged foreign when a language identifier (py3langid, offline) is sure of
another language *and* most of its words are none of the project's own: English with typos
("hw do i retrn an item") keeps its known words and is never judged foreign.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

# The languages told apart: the most written ones. Fewer classes make py3langid surer of
# short messages (a typo-ridden English one otherwise scored as Slovak or Occitan).
LANGUAGES = {
    "ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip
log = logging.getLogger(__name__)
# Codes a project may use for a language the identifier knows by another.
ALIASES = {"nb": "no", "fil": "tl", "iw": "he", "in": "id", "ji": "yi"}
MIN_PROBABILITY = 0.7
MAX_KNOWN_SHARE = 0.5
_LETTERS = re.compile(r"[^\W\d_]+")
_LONG = re.compile(r"[^\W\d_]{3,}")  # as the project's known words are collected
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # scripts without spaces


def language_name(code: str) -> str:
    """The English name of a language code ("de-CH" → "German"); the code when unknown."""
    base = code.replace("_", "-").split("-")[0].lower()
    return LANGUAGES.get(ALIASES.get(base, base), code)


@dataclass(frozen=True)
class Foreign:
    """The language a message seems to be in, and how sure the identifier is."""

    code: str
    probability: float

    @property
    def name(self) -> str:
        return language_name(self.code)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.code, "confidence": round(self.probability, 4)}


class LanguageCheck:
    """Judges whether a message is in another language than ``language`` (an ISO 639-1
    code, the project's ``language``); ``known`` are the project's own words (lowercase)."""

    def __init__(self, language: str, known: Collection[str]) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        code = language.replace("_", "-").split("-")[0].lower()
        self.language = ALIASES.get(code, code)
        self.known = known
        self.identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        supported = set(self.identifier.labels)
        # A language the identifier cannot name would make every message look foreign.
        self.enabled = self.language in supported
        if not self.enabled:
            log.warning("messages in other languages are not told for %r", language)
        self.identifier.set_languages(sorted({*LANGUAGES, self.language} & supported))

    def foreign(self, text: str) -> Foreign | None:
        """The other language ``text`` is in, or None (the project's, or too short or
        too unsure to tell)."""
        if not self.enabled:
            return None
        words = _LETTERS.findall(text)
        wide = len(_WIDE.findall(text))
        if len(words) < 3 and wide < 4:
            # "danke", "Fjällräven Kånken" (a brand an English speaker typed): a word or two
            # tell nothing reliable
            return None
        longer = [w.lower() for w in _LONG.findall(text)]
        if longer and sum(w in self.known for w in longer) / len(longer) >= MAX_KNOWN_SHARE:
            return None
        code, probability = self.identifier.classify(text)
        if code == self.language or probability < MIN_PROBABILITY:
            return None
        return Foreign(str(code), float(probability))
