"""Entities in pasted web addresses and HTML (``nlu.pasted``)."""

from __future__ import annotations

from nlu.pasted import outside_pasted_pieces
from nlu.result import Entity


def tagged(text: str, *spans: tuple[str, str]) -> list[Entity]:
    """The tagger's entities: each ``(entity, value)`` at its first place in ``text``."""
    found = []
    for entity, value in spans:
        start = text.index(value)
        found.append(Entity(entity, start, start + len(value), value, 0.9, "tagger"))
    return found


def kept(text: str, *spans: tuple[str, str]) -> list[str]:
    return [e.value for e in outside_pasted_pieces(text, tagged(text, *spans))]


def test_a_whole_piece_of_a_web_address_is_kept_a_part_of_one_is_not() -> None:
    # "yoga" and "mat" of a product's address were two products
    slug = "see https://shop.example/p/yoga-mat-12345 for the item"
    assert kept(slug, ("product", "yoga"), ("product", "mat")) == []
    assert kept("return https://shop.example/product/desk-lamp", ("product", "desk")) == []
    # the order number in a link is still found, as a path segment or a query value
    query = "https://shop.example/track?id=NW-48213&lang=en"
    assert kept(query, ("order_number", "NW-48213")) == ["NW-48213"]
    assert kept(query, ("order_number", "NW")) == []  # a part of it is not
    assert kept("https://shop.example/orders/48213.html", ("order_number", "48213")) == ["48213"]
    # outside the address, words are read as any text
    assert kept("the yoga mat https://shop.example/p/1", ("product", "yoga mat")) == ["yoga mat"]


def test_html_tags_are_no_entities_but_the_text_between_them_is_read() -> None:
    html = '<a href="https://shop.example/orders/48213" class="desk">my desk lamp</a>'
    assert kept(html, ("order_number", "48213")) == ["48213"]  # in the tag's address
    assert kept(html, ("product", "desk")) == []  # the tag's class
    assert kept(html, ("product", "desk lamp")) == ["desk lamp"]  # between the tags
    assert kept("<p>I want to return the <b>yoga mat</b></p>", ("product", "yoga mat")) == [
        "yoga mat"
    ]
    # a "<" that opens no tag hides nothing
    assert kept("orders < 3 and the desk lamp", ("product", "desk lamp")) == ["desk lamp"]
