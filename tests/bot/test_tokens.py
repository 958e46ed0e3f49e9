from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from bot.errors import BotError
from bot.tables import api_tokens
from bot.tokens import TokenStore


def test_tokens_are_stored_hashed_and_verify_by_role(db_engine: Engine) -> None:
    store = TokenStore(db_engine)
    token, info = store.create("agent", "ann")
    admin_token, _ = store.create("admin")
    assert info.role == "agent"
    with db_engine.connect() as conn:
        stored = [row.token_hash for row in conn.execute(select(api_tokens))]
    assert token not in stored and len(stored) == 2
    verified = store.verify(token)
    assert verified is not None and verified.role == "agent" and verified.name == "ann"
    assert store.verify(admin_token).role == "admin"  # type: ignore[union-attr]
    assert store.verify(token + "x") is None
    used = {r.id: r.last_used_at for r in store.all()}
    assert used[info.id] is not None
    assert store.verify(token, touch=False) is not None  # a check that records no use
    assert {r.id: r.last_used_at for r in store.all()} == used
    assert store.revoke(info.id)
    assert store.verify(token) is None
    assert store.count("admin") == 1
    with pytest.raises(BotError, match="role must be one of"):
        store.create("owner")
