"""Symbols the tokenizer cannot read, spelled out as their Unicode names.

BERT's WordPiece vocabulary has no emoji: "👍", "👎" and "😡" were all one ``[UNK]``, so a
bot could not be taught that 👍 means yes without teaching that every emoji does. Each symbol
the tokenizer would read as ``[UNK]`` is read as its name instead ("thumbs up sign"), words
the encoder knows. Offsets are mapped back, so entities still index the text as written.
"""

from __future__ import annotations

import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Readable:
    """``text`` as the encoder reads it; ``origin[i]`` is the index in the written text of
    its character ``i`` (None: the text is unchanged)."""

    text: str
    origin: tuple[int, ...] | None = None


# Full-width forms, as a Japanese or Chinese keyboard types Latin letters and digits
# ("ＮＷ－４８２１３"), read as their ASCII twins: one character for one, so offsets stay
# those of the text as written. The vocabulary has no pieces for most of them: the message
# "ＮＷ－５５８２０" was not understood, though its order number was found.
_HALF_WIDTH: dict[int, int] = {0x3000: 0x20, **{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}}


def half_width(text: str) -> str:
    """``text`` with full-width ASCII forms and the ideographic space as ASCII."""
    return text.translate(_HALF_WIDTH)


def readable(tokenizer: Any, text: str) -> Readable:
    """``text`` with full-width forms as ASCII (``half_width``) and each symbol
    ``tokenizer`` cannot read replaced by its name; a symbol repeated ("😡😡😡") is named
    once, so that a row of them does not push the rest of the message past the encoder's
    positions. ``origin`` is None when no symbol was named (one character for one)."""
    if text.isascii():  # most messages: every vocabulary reads ASCII's symbols ($, +, ~)
        return Readable(text)
    text = half_width(text)
    parts: list[str] = []
    origin: list[int] = []
    changed = False
    for i, char in enumerate(text):
        kind = unicodedata.category(char)
        said = _spoken(tokenizer, char) if kind[0] == "S" or kind == "Me" else None
        if said is None:
            parts.append(char)
            origin.append(i)
            continue
        if i and text[i - 1] == char:
            said = ""
        changed = True
        parts.append(said)
        origin.extend([i] * len(said))
    if not changed:
        return Readable(text)
    return Readable("".join(parts), tuple(origin))


def written_offsets(
    offsets: Sequence[Sequence[int]], origin: tuple[int, ...] | None
) -> list[tuple[int, int]]:
    """Token spans in the readable text -> spans in the written text (``(0, 0)`` kept for
    special tokens and padding)."""
    if origin is None:
        return [(int(a), int(b)) for a, b in offsets]
    return [(origin[a], origin[b - 1] + 1) if b > a else (0, 0) for a, b in offsets]


# Per tokenizer (a model's vocabulary is fixed), forgotten with it.
_SPOKEN: weakref.WeakKeyDictionary[Any, dict[str, str | None]] = weakref.WeakKeyDictionary()


def _spoken(tokenizer: Any, char: str) -> str | None:
    """What ``char`` is read as, when ``tokenizer`` would make it ``[UNK]``; else None."""
    known = _SPOKEN.get(tokenizer)
    if known is None:
        known = _SPOKEN[tokenizer] = {}
    if char not in known:
        known[char] = _name(tokenizer, char)
    return known[char]


def _name(tokenizer: Any, char: str) -> str | None:
    """A skin tone, which only modifies the emoji before it, is read as nothing; so is an
    enclosing mark: "1️⃣" (a keycap: 1, a variation selector, U+20E3) was one ``[UNK]``,
    and is read as the "1" it frames."""
    unknown = tokenizer.unk_token
    if unknown is None or unknown not in tokenizer.tokenize(char):
        return None  # known, dropped by normalisation, or a byte-level vocabulary
    if unicodedata.category(char) == "Me":
        return ""
    name = unicodedata.name(char, "")
    if not name or name.startswith("EMOJI MODIFIER"):
        return " "
    return f" {name.lower()} "
