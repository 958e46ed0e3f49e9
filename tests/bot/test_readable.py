"""What of a message is read: markup and code blanked out, offsets kept."""

from __future__ import annotations

import pytest

from bot.readable import only_markup, readable_text


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("<b>where is my order</b>", "where is my order"),
        ("<p>where is <i>NW-48213</i>?</p>", "where is NW-48213 ?"),
        ("<script>alert(1)</script> hello", "hello"),
        ("<style>p { color: red }</style><!-- note -->hi", "hi"),
        ("fish &amp; chips&nbsp;please", "fish & chips please"),
        ("SELECT * FROM orders; where is my order?", "where is my order?"),
        ("DROP TABLE users", ""),
        ("delete from orders where id=5", ""),
        ("console.log(document.cookie);", ""),
        # a web address in a tag is the customer's: its order number is read
        (
            '<a href="https://shop.example/orders/NW-10472">my order</a> is late',
            "https://shop.example/orders/NW-10472 my order is late",
        ),
        # words, not code
        ("select the blue one from the list", "select the blue one from the list"),
        ("delete my account from your site", "delete my account from your site"),
        ("Hi (again), I <3 this shop; a < b", "Hi (again), I <3 this shop; a < b"),
        ("order(s)", "order(s)"),
        ("Item(s)?", "Item(s)?"),
        ("order <NW-48213> from <ann@example.com>", "order <NW-48213> from <ann@example.com>"),
        ('<br/><img src="x.png" />hello<hr>', "hello"),
    ],
)
def test_markup_and_code_are_not_read(typed: str, read: str) -> None:
    readable = readable_text(typed)
    assert len(readable) == len(typed)
    assert " ".join(readable.split()) == read
    assert readable_text(readable) == readable


def test_offsets_are_kept() -> None:
    typed = "<b>NW-48213</b> hasn't come"
    readable = readable_text(typed)
    start = readable.index("NW-48213")
    assert typed[start : start + 8] == "NW-48213"


def test_only_markup_is_markup_with_nothing_left_to_read() -> None:
    for typed in (
        "<script>alert(1)</script>",
        "SELECT * FROM orders;",
        "<br/>",
        "alert(1)",
        '{"order": 1}',
        "';--",
        "{}",
    ):
        assert only_markup(typed, readable_text(typed)), typed
    for typed in ("<b>hi</b>", "?", "...", ":)", ";)", "", "   ", "👍", '{"order": "NW-48213"'):
        assert not only_markup(typed, readable_text(typed)), typed
