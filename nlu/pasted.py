"""Entities in pasted web addresses and HTML: the tagger reads their pieces as words.

"https://shop.example/p/yoga-mat-12345" gave the products "yoga" and "mat", and a tag's
attribute may give anything. A web address is made of pieces (path segments, query names and
values): a tagged span that is a whole piece is kept ("NW-48213" of "...?id=NW-48213", "48213"
of ".../orders/48213"), a part of one is not. A tagged span in an HTML tag (``<a href=...>``)
and in no web address is not an entity; the text between tags is read as any text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.builtin_entities import BUILTIN_ENTITIES
from nlu.result import Entity

_ADDRESS = re.compile(BUILTIN_ENTITIES["url"])
_PIECE = re.compile(r"[^/?#&=.:]+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def outside_pasted_pieces(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """``entities`` less those that are part of a piece of a web address, or in an HTML tag
    outside any web address."""
    addresses = [m.span() for m in _ADDRESS.finditer(text)]
    if not addresses and "<" not in text:
        return list(entities)
    pieces = {
        (start + p.start(), start + p.end())
        for start, end in addresses
        for p in _PIECE.finditer(text[start:end])
    }
    tags = [m.span() for m in _TAG.finditer(text)]

    def junk(entity: Entity) -> bool:
        span = (entity.start, entity.end)
        if any(_overlaps(span, address) for address in addresses):
            return span not in pieces
        return any(_overlaps(span, tag) for tag in tags)

    return [e for e in entities if not junk(e)]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
