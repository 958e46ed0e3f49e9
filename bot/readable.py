"""What of a message is read: its text, without the markup or code pasted around it.

"<b>where is my order</b>" is the question "where is my order"; "<script>alert(1)</script>"
and "SELECT * FROM orders;" say nothing. Read as they came, markup and code were guessed at
(the demo read both as a request to track an order, and asked "Did you mean this?").

What is not read becomes spaces, so the readable text keeps the message's length and every
offset in it: entities found in it are where they are in the message as typed.
"""

from __future__ import annotations

import html
import json
import re

from nlu import BUILTIN_ENTITIES

# A script or style element says nothing to the reader, its content included; so does a
# comment. One left open runs to the end, as a browser reads it.
_HIDDEN = re.compile(
    r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)", re.IGNORECASE | re.DOTALL
)
# A tag's name is letters and digits: "<NW-48213>" and "<ann@example.com>" are no tags.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# A web address in a tag (<a href="https://shop.example/orders/NW-10472">) is kept: its
# order number is the customer's.
_ADDRESS = re.compile(BUILTIN_ENTITIES["url"])
_CHARACTER = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# A statement ends at ";" (one of SQL may run over lines).
_STATEMENT = re.compile(r"[^;]+;?")
_SQL = re.compile(
    r"\s*(?P<verb>select\b.*\bfrom|insert\s+into|update\b.*\bset|delete\s+from"
    r"|(?:drop|create|alter|truncate)\s+(?:table|database))\b",
    re.IGNORECASE | re.DOTALL,
)
# "alert(1)", "console.log(document.cookie);": a call and nothing else. A word and its
# brackets apart ("Hi (again)") are words.
_CALL = re.compile(r"\s*(?:javascript:)?[A-Za-z_$][\w$.]*\(.*\)\s*;?\s*", re.DOTALL)
# "order(s)", "item(s)?": a word and its plural, typed alone.
_PLURAL = re.compile(r"\s*[A-Za-z]+\((?:s|es)\)\W*", re.IGNORECASE)


def readable_text(text: str) -> str:
    """``text`` with markup and code blanked out (its length and offsets kept), character
    references (``&amp;``) read as their characters."""
    chars = list(text)

    def blank(start: int, end: int) -> None:
        chars[start:end] = " " * (end - start)

    for hidden in _HIDDEN.finditer(text):
        blank(*hidden.span())
    for tag in _TAG.finditer("".join(chars)):
        start, end = tag.span()
        kept = [m.span() for m in _ADDRESS.finditer(text, start, end)]
        cuts = zip([start, *(e for _, e in kept)], [*(s for s, _ in kept), end], strict=True)
        for cut_start, cut_end in cuts:
            blank(cut_start, cut_end)
    for reference in _CHARACTER.finditer("".join(chars)):
        start, end = reference.span()
        char = html.unescape(reference.group())
        if len(char) == 1:  # an unknown name stays as typed
            chars[start:end] = (char if char.isprintable() else " ").ljust(end - start)
    for statement in _STATEMENT.finditer("".join(chars)):
        if _is_code(statement.group()):
            blank(*statement.span())
    return "".join(chars)


def _is_code(statement: str) -> bool:
    if statement.lstrip()[:1] in ("{", "["):
        try:
            json.loads(statement)
        except ValueError:
            pass
        else:
            return True  # '{"order": 1}' is data, not a request
    sql = _SQL.match(statement)
    if sql is not None:
        # "select the blue one from the list" is a customer's; a statement in capitals, or
        # with an operator or a closing ";", is a database's.
        verb = sql.group("verb").split()[0]
        closed = statement.rstrip().endswith(";")
        return verb.isupper() or closed or bool(set("*=") & set(statement))
    return _CALL.fullmatch(statement) is not None and _PLURAL.fullmatch(statement) is None


# Punctuation that people type alone ("?", "...", ":)") reads as they meant it; these, with
# no word or digit, are a piece of code ("';--" was read as "no").
_CODE_MARKS = frozenset("'\"`{}[]=<>|\\")


def only_markup(text: str, readable: str) -> bool:
    """Whether the message was markup or code alone: no letter or digit is left to read,
    and something was blanked or the rest is code's punctuation."""
    if any(ch.isalnum() for ch in readable):
        return False
    return readable != text or not _CODE_MARKS.isdisjoint(text)


def faq_question(text: str) -> str | None:
    """What of a message the FAQ is asked: its readable words, or None when it was markup
    or code alone ("<script>alert(1)</script>" was offered entries)."""
    readable = readable_text(text)
    if only_markup(text, readable):
        return None
    return text if readable == text else " ".join(readable.split())
