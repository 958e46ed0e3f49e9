"""API tokens with roles, stored only as SHA-256 hashes."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine, insert, select, update

from bot.errors import BotError, NotFoundError
from bot.tables import api_tokens

Role = Literal["agent", "admin"]
ROLES: tuple[str, ...] = ("agent", "admin")
BOOTSTRAP_NAME = "bootstrap-admin"  # the admin token a first start creates
TOKEN_PREFIX = "dbt_"
# Names go into 200-character columns as "agent:<name>#<id>" (transcript actors) and
# "<name>#<id>" (FAQ revision authors); 100 leaves room for the rest.
MAX_NAME_CHARS = 100
_ID = re.compile(r"#?[0-9]+")  # how `token revoke` tells an id from a name


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str

    @property
    def signature(self) -> str:
        """Who acted, as transcripts and FAQ revisions record it: "ana#3" (names may repeat;
        the token's number tells two of them apart). Names from before the length limit
        are cut to fit."""
        return f"{self.name[:MAX_NAME_CHARS] or self.role}#{self.id}"


def token_id_of(signature: str) -> int | None:
    """The token number in a signature ("ana#3" -> 3), or None if it has none."""
    number = signature.rpartition("#")[2]
    return int(number) if number.isascii() and number.isdigit() else None


@dataclass(frozen=True)
class TokenRecord:
    """What is known about a token, never the token itself (only its hash is stored)."""

    id: int
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_role(role: str) -> None:
    """Raise BotError unless ``role`` is one a token can have."""
    if role not in ROLES:
        raise BotError(f"role must be one of {', '.join(ROLES)}, got {role!r}")


class TokenStore:
    """Creates and verifies bearer tokens; an admin token also passes where agent is needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, role: str, name: str = "") -> tuple[str, TokenInfo]:
        """Return the new token (shown once) and what it grants."""
        check_role(role)
        name = name.strip()
        if len(name) > MAX_NAME_CHARS:
            raise BotError(f"a token name has at most {MAX_NAME_CHARS} characters, got {len(name)}")
        if _ID.fullmatch(name):
            raise BotError(f"a token name needs a non-digit ({name!r} would read as a token id)")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            new_id = conn.execute(
                insert(api_tokens)
                .values(
                    name=name or role,
                    role=role,
                    token_hash=_digest(token),
                    created_at=datetime.now(UTC),
                    revoked=False,
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
        return token, TokenInfo(id=new_id, name=name or role, role=role)

    def verify(self, token: str, *, touch: bool = True) -> TokenInfo | None:
        """What the token grants, or None when it is unknown or revoked; ``touch`` records
        the use as its last."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(api_tokens).where(
                    api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked.is_(False)
                )
            ).first()
            if row is None:
                return None
            if touch:
                conn.execute(
                    update(api_tokens)
                    .where(api_tokens.c.id == row.id)
                    .values(last_used_at=datetime.now(UTC))
                )
        return TokenInfo(id=row.id, name=row.name, role=row.role)

    async def averify(self, token: str, *, touch: bool = True) -> TokenInfo | None:
        return await asyncio.to_thread(self.verify, token, touch=touch)

    def all(self) -> list[TokenRecord]:
        """Every token, revoked ones included, oldest first."""
        t = api_tokens.c
        query = select(t.id, t.name, t.role, t.created_at, t.last_used_at, t.revoked)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.id)).all()
        return [TokenRecord(**row._asdict()) for row in rows]

    def find(self, id_or_name: str) -> TokenRecord:
        """The token with this id (digits, or #digits) or name; of several, the unrevoked one.

        Raises:
            NotFoundError: no token has this id or name.
            BotError: several unrevoked tokens share the name.
        """
        records = self.all()
        number = id_or_name.removeprefix("#")  # `deskbot token list` shows ids as #3
        if _ID.fullmatch(id_or_name):
            matches = [r for r in records if r.id == int(number)]
            if not matches:
                raise NotFoundError(f"no token #{number}; `deskbot token list` shows them")
            return matches[0]
        matches = [r for r in records if r.name == id_or_name]
        if not matches:
            raise NotFoundError(f"no token named {id_or_name!r}; `deskbot token list` shows them")
        live = [r for r in matches if not r.revoked]
        if len(live) > 1:
            ids = ", ".join(f"#{r.id}" for r in live)
            raise BotError(
                f"{len(live)} tokens are named {id_or_name!r} ({ids}); revoke one by its id"
            )
        return (live or matches)[-1]

    def is_live(self, token_id: int) -> bool:
        """Whether token ``token_id`` exists and is not revoked."""
        query = select(api_tokens.c.id).where(
            api_tokens.c.id == token_id, api_tokens.c.revoked.is_(False)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def revoke(self, token_id: int) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(api_tokens).where(api_tokens.c.id == token_id).values(revoked=True)
                ).rowcount
            )

    def count(self, role: str | None = None) -> int:
        query = select(api_tokens.c.id).where(api_tokens.c.revoked.is_(False))
        if role is not None:
            query = query.where(api_tokens.c.role == role)
        with self.engine.connect() as conn:
            return len(conn.execute(query).all())
