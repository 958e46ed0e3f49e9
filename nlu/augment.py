"""Training copies of examples with keyboard typos, so that "wher is my ordr" reads as
"where is my order".

A bot's own training data is a few hundred clean sentences; its users type fast on phones.
WordPiece splits a misspelt word into pieces the fine-tuned model never saw together, and
the demo's NLU read typo'd forms of held-out sentences right about two-thirds as often as
clean ones (docs/benchmarks.md, "Typos"). One noisy copy of each example teaches it that
a word with a letter dropped, doubled, swapped or hit beside still means the word.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from nlu.data import Example

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# A letter's neighbours on a QWERTY keyboard (a slip of the finger).
_NEIGHBOURS = {
    letter: "".join(
        _ROWS[r + dr][c + dc]
        for dr in (-1, 0, 1)
        for dc in (-1, 0, 1)
        if (dr, dc) != (0, 0) and 0 <= r + dr < 3 and 0 <= c + dc < len(_ROWS[r + dr])
    )
    for r, row in enumerate(_ROWS)
    for c, letter in enumerate(row)
}
_WORD = re.compile(r"[A-Za-z]{4,}")  # short words ("my", "the") are left as they are


def typo(word: str, rng: random.Random) -> str:
    """``word`` with one slip past its first letter: dropped, doubled, swapped with the
    next, or hit beside on the keyboard."""
    at = rng.randrange(1, len(word))
    kind = rng.choice(("drop", "double", "swap", "beside"))
    if kind == "swap" and at < len(word) - 1 and word[at] != word[at + 1]:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if kind == "double":
        return word[:at] + word[at] + word[at:]
    near = _NEIGHBOURS.get(word[at].lower())
    if kind == "beside" and near:
        hit = rng.choice(near)
        return word[:at] + (hit.upper() if word[at].isupper() else hit) + word[at + 1 :]
    return word[:at] + word[at + 1 :]


def with_typo(example: Example, rng: random.Random) -> Example | None:
    """A copy of ``example`` with a typo in one or two of its longer words outside its
    entities (whose offsets move with the text); None when it has no such word."""
    taken = [(span.start, span.end) for span in example.entities]
    words = [
        (m.start(), m.end())
        for m in _WORD.finditer(example.text)
        if not any(start < m.end() and m.start() < end for start, end in taken)
    ]
    if not words:
        return None
    text, entities = example.text, list(example.entities)
    chosen = rng.sample(words, min(len(words), rng.choice((1, 1, 2))))
    for start, end in sorted(chosen, reverse=True):  # right to left: offsets to the left hold
        new = typo(text[start:end], rng)
        shift = len(new) - (end - start)
        text = text[:start] + new + text[end:]
        entities = [
            replace(e, start=e.start + shift, end=e.end + shift) if e.start >= end else e
            for e in entities
        ]
    return replace(example, text=text, entities=tuple(entities))


def typo_copies(examples: list[Example], copies: int, seed: int) -> list[Example]:
    """``copies`` typo'd copies of each example that has a longer word outside its
    entities (the examples themselves not included)."""
    rng = random.Random(seed)
    out: list[Example] = []
    for _ in range(copies):
        for example in examples:
            noisy = with_typo(example, rng)
            if noisy is not None and noisy.text != example.text:
                out.append(noisy)
    return out
