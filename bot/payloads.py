"""Limits on what untrusted text and JSON may hold before it is stored.

A value that cannot be written back out — a lone UTF-16 surrogate, which no UTF-8 encoder
accepts, or JSON nested past the serialiser's recursion limit — would otherwise be stored and
break every later read of the conversation that holds it. So would a NUL character, which
PostgreSQL refuses in text and cannot query in JSON (one NUL in one event made every agent's
intent filter fail).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 16


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})


def shows_anything(text: str) -> bool:
    """True when the text has a character that is not a space, control or format character
    (a message of NULs or zero-width spaces would otherwise be parsed as if it said something)."""
    # Unassigned (Cn) and private-use (Co) code points count as visible: an emoji newer than
    # this Python's Unicode tables is still an emoji.
    return any(unicodedata.category(ch) not in _INVISIBLE for ch in text)


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds a UTF-16 surrogate code point (U+D800-U+DFFF)."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)


NUL_PROBLEM = "contains a NUL character (\\u0000), which cannot be stored"


def has_nul(text: str) -> bool:
    """True when ``text`` holds U+0000."""
    return "\x00" in text


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (a lone surrogate, a NUL), or None."""
    if has_surrogate(text):
        return "contains a lone UTF-16 surrogate (U+D800-U+DFFF), which is not valid Unicode"
    if has_nul(text):
        return NUL_PROBLEM
    return None


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar is 0), counted up to ``limit + 1``.

    Iterative, so a value nested thousands deep is measured without recursion.
    """
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return deepest
            stack.extend(
                (child, depth) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def json_problem(value: Any, max_bytes: int, limit: int = MAX_DEPTH) -> str | None:
    """Why ``value`` cannot be stored as JSON within ``max_bytes`` bytes, or None."""
    if nesting_depth(value, limit) > limit:
        return f"is nested more than {limit} levels deep"
    try:
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate, which is not valid Unicode"
    except (TypeError, ValueError) as error:  # ValueError: NaN or an infinity
        return f"is not JSON: {error}"
    if size > max_bytes:
        return f"is {size} bytes as JSON; the limit is {max_bytes}"
    if any(has_nul(text) for text in json_strings(value)):
        return NUL_PROBLEM
    return None


def json_strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included (iteratively, as nesting_depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
