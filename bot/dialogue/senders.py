"""Which sender ids can name a conversation."""

from __future__ import annotations

from typing import TypeGuard

from bot.errors import InvalidInput

SENDER_RULE = (
    'sender id must be 1-200 printable characters, not only spaces, without "/", '
    'and not "." or ".."'
)


def is_valid_sender(sender_id: object) -> TypeGuard[str]:
    """Whether ``sender_id`` can name a conversation: 1-200 printable characters, no "/" (the
    agents' console and the widget history address a conversation by its id in a URL path),
    not "." or ".."."""
    return (
        isinstance(sender_id, str)
        and 0 < len(sender_id) <= 200
        and sender_id.isprintable()
        and not sender_id.isspace()
        and "/" not in sender_id
        and sender_id not in (".", "..")
    )


def check_sender(sender_id: str) -> None:
    """Raises:
    InvalidInput: ``sender_id`` cannot name a conversation."""
    if not is_valid_sender(sender_id):
        raise InvalidInput(SENDER_RULE)
