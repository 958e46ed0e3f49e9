"""API tokens with roles, stored only as SHA-256 hashes."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine, insert, select, update

from bot.errors import BotError
from bot.tables import api_tokens

Role = Literal["agent", "admin"]
ROLES: tuple[str, ...] = ("agent", "admin")
TOKEN_PREFIX = "dbt_"


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Creates and verifies bearer tokens; an admin token also passes where agent is needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, role: str, name: str = "") -> tuple[str, TokenInfo]:
        """Return the new token (shown once) and what it grants."""
        if role not in ROLES:
            raise BotError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
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

    def verify(self, token: str) -> TokenInfo | None:
        """What the token grants, or None when it is unknown or revoked."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(api_tokens).where(
                    api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked.is_(False)
                )
            ).first()
            if row is None:
                return None
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == row.id)
                .values(last_used_at=datetime.now(UTC))
            )
        return TokenInfo(id=row.id, name=row.name, role=row.role)

    async def averify(self, token: str) -> TokenInfo | None:
        return await asyncio.to_thread(self.verify, token)

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
