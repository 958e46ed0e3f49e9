from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "SESSION_STORE", "PORT", "DEVICE"):
        monkeypatch.delenv(f"DESKBOT_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_embedded_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/deskbot.db"
    assert settings.session_store == "sql"
    assert settings.device == "auto"
    assert settings.redis_url is None


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DESKBOT_PORT=9001\nDESKBOT_REDIS_URL=redis://x:6379/0\n")
    monkeypatch.setenv("DESKBOT_SESSION_STORE", "redis")
    monkeypatch.setenv("DESKBOT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = load_settings()
    assert settings.port == 9001
    assert settings.session_store == "redis"
    assert settings.redis_url == "redis://x:6379/0"
    assert settings.database_url.startswith("postgresql")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DESKBOT_SESSION_STORE", "memcached", "DESKBOT_SESSION_STORE: Input should be"),
        ("DESKBOT_PORT", "eighty", "DESKBOT_PORT: Input should be a valid integer"),
        ("DESKBOT_DEVICE", "tpu", "DESKBOT_DEVICE:"),
        ("DESKBOT_DATABASE_URL", "mysql://x", "DESKBOT_DATABASE_URL must be"),
        ("DESKBOT_DATABASE_URL", "sqlite:/var/x.db", "DESKBOT_DATABASE_URL is not a database"),
        ("DESKBOT_DATABASE_URL", "postgresql://h:port/db", "DESKBOT_DATABASE_URL is not a"),
        ("DESKBOT_DATABASE_URL", "sqlite://x.db", "DESKBOT_DATABASE_URL: a SQLite URL has three"),
        # above the bot's own limit, longer messages got a 400 instead of the promised 413
        ("DESKBOT_MAX_MESSAGE_CHARS", "10000", "DESKBOT_MAX_MESSAGE_CHARS"),
        ("DESKBOT_CORS_ORIGINS", '["https://a.example"', "DESKBOT_CORS_ORIGINS: not a JSON list"),
        # redis-py refused it only at start, in a 56-line traceback
        ("DESKBOT_REDIS_URL", "127.0.0.1:6379", "DESKBOT_REDIS_URL is not a Redis URL"),
        ("DESKBOT_REDIS_PREFIX", "shop bot", "DESKBOT_REDIS_PREFIX: String should match"),
    ],
)
def test_invalid_settings_fail_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_cors_origins_as_a_json_list_or_with_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    # a plain origin used to end in a 30-line traceback (it was read as JSON only)
    for given in (
        '["https://a.example", "https://b.example"]',
        "https://a.example, https://b.example",
    ):
        monkeypatch.setenv("DESKBOT_CORS_ORIGINS", given)
        assert load_settings().cors_origins == ["https://a.example", "https://b.example"]
    for one in ("http://x.com", '"http://x.com"'):
        monkeypatch.setenv("DESKBOT_CORS_ORIGINS", one)
        assert load_settings().cors_origins == ["http://x.com"]


def test_a_postgres_url_as_hosts_hand_it_out_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKBOT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    url = load_settings().database_url
    assert url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_redis_store_requires_a_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKBOT_SESSION_STORE", "redis")
    with pytest.raises(SettingsError, match="DESKBOT_REDIS_URL must be set"):
        load_settings()


def test_nothing_is_built_at_import_time() -> None:
    import importlib

    import bot.settings

    importlib.reload(bot.settings)
    assert not any(isinstance(v, Settings) for v in vars(bot.settings).values())


def test_a_sqlite_folder_that_cannot_be_made_is_a_database_error(tmp_path: Path) -> None:
    from bot.db import DatabaseError, create_db_engine

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError, match=r"cannot create .* for the SQLite database"):
        create_db_engine(f"sqlite:///{blocker}/sub/deskbot.db")
