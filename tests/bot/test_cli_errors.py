"""Ordinary user mistakes get one line on stderr and exit 2, never a traceback.

The CLI runs in this process through ``bot.cli.main`` (what ``python -m bot`` calls): a
traceback here would be an exception escaping ``main`` and failing the test. Every case
talks to a real database (a SQLite file in tmp_path, or PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from bot.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


class Cli(Protocol):
    def __call__(self, *args: str, **env: str) -> Outcome: ...


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``deskbot ARGS`` in tmp_path (the default database is tmp_path/var/deskbot.db)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESKBOT_DATABASE_URL", raising=False)

    def run(*args: str, **env: str) -> Outcome:
        with monkeypatch.context() as scoped:
            for name, value in env.items():
                scoped.setenv(name, value)
            try:
                main(list(args))
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def one_error_line(outcome: Outcome) -> str:
    assert outcome.code == 2, outcome
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["token", "create", "--role", "admin", "--name", "ops"],
        ["token", "list"],
        ["token", "revoke", "ops"],
        ["conversation", "delete", "nobody"],
        ["export", "annotations", "out.yml"],
        ["faq", "list"],
    ],
)
def test_data_commands_before_migrating_say_run_db_upgrade(
    cli: Cli, args: list[str], tmp_path: Path
) -> None:
    # no database file: said so, and none is left behind
    line = one_error_line(cli(*args))
    assert line.startswith("error: no database at var/deskbot.db; run `deskbot db upgrade`")
    assert not (tmp_path / "var").exists()
    # a database file without deskbot's tables (made by something else)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "deskbot.db").touch()
    line = one_error_line(cli(*args))
    assert "the database is not set up" in line
    assert line.endswith("run `deskbot db upgrade`")


def test_outdated_database_check_and_bad_revision(cli: Cli) -> None:
    assert cli("db", "upgrade").code == 0
    bad = one_error_line(cli("db", "downgrade", "nosuchrev"))
    assert bad == "error: Can't locate revision identified by 'nosuchrev'"
    assert cli("db", "downgrade", "base").code == 0
    outdated = one_error_line(cli("db", "check"))
    assert "not at the latest revision; run `deskbot db upgrade`" in outdated


def test_unreachable_database_names_the_setting(cli: Cli) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/x"
    line = one_error_line(cli("token", "create", "--role", "agent", DESKBOT_DATABASE_URL=url))
    assert line.startswith("error: cannot use the database: connection failed")
    assert line.endswith("check DESKBOT_DATABASE_URL")


def test_token_name_length_is_checked_before_postgresql_refuses_it(
    cli: Cli, new_database: Callable[[str], str]
) -> None:
    url = new_database("postgresql")
    long = one_error_line(
        cli("token", "create", "--role", "agent", "--name", "x" * 300, DESKBOT_DATABASE_URL=url)
    )
    assert long == "error: a token name has at most 100 characters, got 300"
    made = cli("token", "create", "--role", "agent", "--name", "x" * 100, DESKBOT_DATABASE_URL=url)
    assert made.code == 0 and "agent token #" in made.out


def test_digit_only_token_name_is_refused(cli: Cli) -> None:
    assert cli("db", "upgrade").code == 0
    for name in ("42", "#1"):  # "#1" would make `token revoke #1` revoke token 1
        line = one_error_line(cli("token", "create", "--role", "agent", "--name", name))
        assert "would read as a token id" in line
    assert cli("token", "create", "--role", "agent", "--name", "\u00b2").code == 0
    assert "revoked" in cli("token", "revoke", "\u00b2").out  # a name, not an id


def test_port_out_of_range_names_the_option(cli: Cli) -> None:
    refused = cli("serve", "--port", "99999")
    assert refused.code == 2
    assert "--port" in refused.err and "DESKBOT_PORT" not in refused.err


def test_serve_refuses_what_would_fail_in_every_worker(cli: Cli, tmp_path: Path) -> None:
    # These started a server that answered 503 to everything, or printed a traceback per
    # worker ending in "Application startup failed".
    missing = one_error_line(cli("serve", "--project", str(tmp_path / "nowhere")))
    assert "--project or DESKBOT_PROJECT_DIR" in missing and "is not a folder" in missing
    encoder = one_error_line(
        cli("serve", "--project", str(tmp_path), DESKBOT_ENCODER=str(tmp_path / "no-model"))
    )
    assert "is not a local Hugging Face checkpoint" in encoder


def test_check_of_a_missing_project_names_the_folder(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = cli("check", "--project", str(missing))
    assert done.code == 1
    assert done.out.splitlines()[0].startswith(f"{missing}: error: no such project folder")


def test_a_project_folder_may_be_given_as_init_takes_it(cli: Cli, tmp_path: Path) -> None:
    # `deskbot check examples/demo` was refused ("Got unexpected extra argument").
    assert cli("init", "shop").code == 0
    assert cli("check", "shop").code == 0
    missing = tmp_path / "nowhere"
    done = cli("check", str(missing))
    assert done.code == 1 and done.out.startswith(f"{missing}: error: no such project folder")
    assert cli("check", "shop", "--project", "shop").code == 0  # the same folder twice
    assert cli("check", "shop", "--project", str(tmp_path / "shop")).code == 0  # however said
    both = cli("check", "shop", "--project", "other")
    assert both.code == 2 and "two project folders given, shop and --project other" in both.err
    assert cli("test", str(missing)).code != 0
    (tmp_path / "README.md").write_text("# a file")
    told = cli("check", "README.md")
    assert told.code == 1 and "README.md: error: is a file; give the project's folder" in told.out


def test_training_for_no_passes_is_refused(cli: Cli) -> None:
    # --epochs 0 trained the default 10 passes without a word.
    for bad in ("0", "-1"):
        done = cli("train", "--project", "shop", "--epochs", bad, COLUMNS="200")
        assert done.code == 2, done
        assert "Invalid value for '--epochs': Input should be greater than or equal to 1" in (
            done.err
        )


def test_revoke_asks_for_an_id_when_a_name_is_shared(cli: Cli) -> None:
    assert cli("db", "upgrade").code == 0
    for _ in range(2):
        assert cli("token", "create", "--role", "agent").code == 0  # both named "agent"
    shared = one_error_line(cli("token", "revoke", "agent"))
    assert shared == "error: 2 tokens are named 'agent' (#1, #2); revoke one by its id"
    assert cli("token", "revoke", "#2").out == "agent token #2 (agent) revoked\n"
    assert cli("token", "revoke", "2").out == "agent token #2 (agent) was already revoked\n"
    assert cli("token", "revoke", "agent").out == "agent token #1 (agent) revoked\n"
    missing = one_error_line(cli("token", "revoke", "nobody"))
    assert missing == "error: no token named 'nobody'; `deskbot token list` shows them"
