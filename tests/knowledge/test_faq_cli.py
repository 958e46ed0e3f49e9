"""The faq CLI end to end: import, list, search, reindex, export, evaluate, errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import faq
from bot.db import create_db_engine, upgrade
from knowledge import FaqBase
from nlu.encoder import SentenceEncoder

ENTRIES = [
    {"id": "hours", "question": "When are you open?", "answer": "9-5",
     "alternatives": ["opening hours", "are you open on sunday"], "tags": ["store"]},
    {"id": "refund", "question": "How do I get a refund?", "answer": "Within 5 days.",
     "alternatives": ["I want my money back"], "tags": ["orders"]},
    {"id": "password", "question": "How do I reset my password?", "answer": "Use the link.",
     "alternatives": ["I forgot my password"], "tags": []},
]  # fmt: skip


@pytest.fixture
def cli(sentence_encoder: SentenceEncoder, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> typer.Typer:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("DESKBOT_DATABASE_URL", url)
    monkeypatch.setenv("DESKBOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    app = typer.Typer()
    evaluate_app = typer.Typer()
    app.add_typer(evaluate_app, name="evaluate")
    faq.register(app, evaluate_app, encoder_factory=lambda _settings: sentence_encoder)
    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_import_list_search_reindex_export(cli: typer.Typer, tmp_path: Path) -> None:
    source = tmp_path / "faq.json"
    source.write_text(json.dumps(ENTRIES))
    code, out = run(cli, "faq", "import", str(source))
    assert code == 0 and "3 created, 0 updated, 0 unchanged" in out
    code, out = run(cli, "faq", "import", str(source))
    assert code == 0 and "0 created, 0 updated, 3 unchanged" in out
    code, out = run(cli, "faq", "list", "--tag", "store")
    assert code == 0 and "hours\tv1\tactive\tWhen are you open?" in out and "refund" not in out
    code, out = run(cli, "faq", "search", "I would like my money back")
    assert code == 0
    header, best = out.splitlines()[:2]
    assert header.split("\t") == ["confidence", "score", "entry", "closest phrasing"]
    assert best.split("\t")[2] == "refund"
    assert "decision: answer" in out
    code, out = run(cli, "faq", "reindex")
    assert code == 0 and "reindexed 7 phrasings" in out
    target = tmp_path / "out.csv"
    code, out = run(cli, "faq", "export", str(target))
    assert code == 0 and "exported 3 entries" in out
    assert target.read_text(encoding="utf-8").startswith("\ufeffid,question,answer")  # for Excel


def test_known_errors_print_one_line_and_exit_non_zero(cli: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "x", "question": "", "answer": "a"}]))
    code, out = run(cli, "faq", "import", str(bad))
    assert code == 2
    assert "error:" in out and "row 1, question: missing" in out and "Traceback" not in out
    code, out = run(cli, "faq", "list")
    assert "0 entries" in out
    code, out = run(cli, "faq", "import", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in out


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_evaluate_faq_writes_the_report(cli: typer.Typer, tmp_path: Path, mode: str) -> None:
    faq_file = tmp_path / "faq.json"
    faq_file.write_text(json.dumps(ENTRIES))
    queries = [
        {"query": "opening hours", "expected": "hours"},
        {"query": "I forgot my password", "expected": "password"},
        {"query": "How do I get a refund?", "expected": "refund"},
        {"query": "what is the airspeed of an unladen swallow", "expected": None},
    ]
    queries_file = tmp_path / "queries.json"
    queries_file.write_text(json.dumps(queries))
    report = tmp_path / "report" / "faq.json"
    code, out = run(cli, "evaluate", "faq", "--faq", str(faq_file), "--queries",
                    str(queries_file), "--report", str(report), "--retriever", mode)  # fmt: skip
    assert code == 0, out
    data = json.loads(report.read_text())
    assert data["n"] == 3 and data["n_oos"] == 1 and data["retriever"] == mode
    assert data["recall_at_1"] == 1.0 and data["recall_at_5"] == 1.0 and data["mrr"] == 1.0
    for key in ("answered_right", "oos_answered"):
        assert 0.0 <= data[key] <= 1.0
    # precision over no answers is none at all (it read 0.0, as if every answer were wrong)
    precision = data["answer_precision"]
    assert (precision is None) == (data["answers"] == 0)
    assert precision is None or 0.0 <= precision <= 1.0
    assert ("precision n/a" in out) == (precision is None)
    # --details: one line per query, in order, agreeing with the report
    details = tmp_path / "details.jsonl"
    code, out = run(cli, "evaluate", "faq", "--faq", str(faq_file), "--queries",
                    str(queries_file), "--report", str(report), "--retriever", mode,
                    "--details", str(details))  # fmt: skip
    assert code == 0, out
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [r["query"] for r in rows] == [q["query"] for q in queries]
    assert [r["rank"] for r in rows] == [1, 1, 1, None]
    assert [r["entry"] for r in rows[:3]] == ["hours", "password", "refund"]
    right = sum(r["right"] for r in rows[:3])
    assert right / 3 == pytest.approx(data["answered_right"], abs=1e-4)
    assert rows[3]["right"] == (rows[3]["decision"] != "answer")
    assert data["answers"] == sum(r["decision"] == "answer" for r in rows)
    assert all(0.0 <= r["confidence"] <= 1.0 for r in rows)
    code, out = run(cli, "evaluate", "faq", "--faq", str(faq_file), "--queries",
                    str(queries_file), "--report", str(report), "--retriever", "magic")  # fmt: skip
    assert code == 2 and "hybrid, dense, bm25" in out


def test_evaluate_refuses_queries_it_cannot_score(cli: typer.Typer, tmp_path: Path) -> None:
    # A typo in an expected id counted as a miss and lowered the score without a word.
    faq_file = tmp_path / "faq.json"
    faq_file.write_text(json.dumps(ENTRIES))
    report = tmp_path / "r.json"

    def evaluate(queries: object, faq: Path = faq_file) -> tuple[int, str]:
        queries_file = tmp_path / "q.json"
        queries_file.write_text(json.dumps(queries))
        return run(cli, "evaluate", "faq", "--faq", str(faq), "--queries", str(queries_file),
                   "--report", str(report), "--retriever", "bm25")  # fmt: skip

    code, out = evaluate([{"query": "opening hours", "expected": "hours"},
                          {"query": "refund?", "expected": "refnud"}])  # fmt: skip
    queries_file = tmp_path / "q.json"
    assert code == 2 and out.strip() == (
        f"error: {queries_file}: 1 invalid row(s), nothing scored: row 2, expected: "
        "no FAQ entry has the id 'refnud' (did you mean 'refund'?)"
    )
    # A misspelt "expected" made the query out of scope without a word; an empty query was
    # scored.
    # scored. All at once: an id naming no entry came only once the others were fixed.
    code, out = evaluate([{"query": "opening hours", "expcted": "hours"},
                          {"query": " ", "expected": None},
                          {"query": "refund?", "expected": "refnud"}])  # fmt: skip
    assert code == 2
    assert "3 invalid row(s), nothing scored" in out
    assert "row 1, expected: missing: an entry id, or null for none (found expcted)" in out
    assert "row 2, query: empty" in out
    assert "row 3, expected: no FAQ entry has the id 'refnud' (did you mean 'refund'?)" in out
    code, out = evaluate([])
    assert code == 2 and "no queries to score" in out
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, out = evaluate([{"query": "hi", "expected": None}], faq=empty)
    assert code == 2 and "no entries" in out
    assert not report.exists()
    # Only out-of-scope queries: scored, with a word that the ranking figures measure nothing.
    code, out = evaluate([{"query": "airspeed of a swallow", "expected": None}])
    assert code == 0 and "note: no query expects an entry" in out
    assert json.loads(report.read_text())["n"] == 0
    # A report path that is a folder, or under a file, is refused before anything is scored
    # (it ended in a traceback after the scoring).
    for where, problem in ((tmp_path, "is a folder"), (report / "r.json", "is a file")):
        code, out = run(cli, "evaluate", "faq", "--faq", str(faq_file), "--queries",
                        str(queries_file), "--report", str(where))  # fmt: skip
        assert code == 2 and problem in out and "Traceback" not in out, out
        assert "R@1" not in out


def test_bad_files_and_empty_search_get_one_line_errors(cli: typer.Typer, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,question,answer\nlatin,Café open?,Oui\n".encode("latin-1"))
    code, out = run(cli, "faq", "import", str(latin1))
    assert code == 2 and "Traceback" not in out
    assert out.strip() == (
        f"error: {latin1}: nothing imported: line 2 is not UTF-8 text (byte 0xe9); "
        "save the file as UTF-8 and import it again"
    )
    rasa = tmp_path / "r.yml"
    rasa.write_text("nlu: 5\n")
    code, out = run(cli, "faq", "import", str(rasa), "--format", "rasa")
    assert code == 2 and "nlu must be a list of intents, got int" in out
    code, out = run(cli, "faq", "export", str(tmp_path / "no" / "dir" / "x.yaml"))
    assert code == 2 and "cannot write" in out and "Traceback" not in out
    # A folder without FAQ files read as an empty FAQ ("0 entries, all valid").
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = run(cli, "faq", "import", str(empty), "--check")
    assert code == 2 and "is a folder without Rasa YAML files" in out
    # A folder given as the file to write: it said "unknown FAQ format ''".
    code, out = run(cli, "faq", "export", str(tmp_path))
    assert code == 2 and out.strip() == (
        f"error: FILE {tmp_path} is a folder: give a file name, e.g. {tmp_path / 'out.json'}"
    )
    for text in ("", "   "):
        code, out = run(cli, "faq", "search", text)
        assert code == 2 and "text is empty" in out and "decision" not in out
    code, out = run(cli, "faq", "list")
    assert "0 entries" in out


@pytest.fixture
def imported(cli: typer.Typer, tmp_path: Path) -> Iterator[tuple[Path, FaqBase]]:
    """ENTRIES imported through the CLI: the file, and the base the CLI wrote."""
    source = tmp_path / "faq.json"
    source.write_text(json.dumps(ENTRIES))
    assert run(cli, "faq", "import", str(source))[0] == 0
    engine = create_db_engine(os.environ["DESKBOT_DATABASE_URL"])
    yield source, FaqBase(engine)
    engine.dispose()


def test_a_deleted_entry_is_restored_or_brought_back_by_an_import(
    cli: typer.Typer, imported: tuple[Path, FaqBase]
) -> None:
    source, base = imported
    hours = base.get_by_key("hours")
    base.delete(hours.id, author="editor")
    code, out = run(cli, "faq", "restore", "hours")
    assert code == 0 and out.strip() == "restored hours (version 3)"
    code, out = run(cli, "faq", "restore", "hours")
    assert code == 2 and "not deleted" in out
    base.delete(hours.id, author="editor")
    code, out = run(cli, "faq", "import", str(source))
    assert code == 0 and "0 created, 1 updated, 2 unchanged" in out
    assert base.get(hours.id).deleted_at is None
    actions = [r.action for r in base.history(hours.id)]
    assert actions == ["create", "delete", "restore", "delete", "restore"]
    code, out = run(cli, "faq", "restore", "nope")
    assert code == 2 and "no FAQ entry has the key 'nope'" in out


def test_a_conflicting_old_export_is_refused_unless_overwrite_and_deleted_stay_so(
    cli: typer.Typer, imported: tuple[Path, FaqBase], tmp_path: Path
) -> None:
    _, base = imported
    old = tmp_path / "old.json"
    assert run(cli, "faq", "export", str(old))[0] == 0
    refund = base.get_by_key("refund")
    base.update(refund.id, expected_version=1, author="editor", answer="Within 3 days.")
    records = json.loads(old.read_text())
    records[1]["answer"] = "Within 4 days."  # the file changes what the editor changed
    old.write_text(json.dumps(records))
    code, out = run(cli, "faq", "import", str(old))
    assert code == 2 and out.startswith("error: nothing imported: 1 entry changed after")
    assert "refund (answer changed here since version 1 as well)" in out
    assert base.get(refund.id).answer == "Within 3 days."
    code, out = run(cli, "faq", "import", str(old), "--overwrite")
    assert code == 0 and "0 created, 1 updated, 2 unchanged" in out
    assert base.get(refund.id).answer == "Within 4 days."
    base.delete(base.get_by_key("hours").id, author="editor")
    backup = tmp_path / "backup.csv"
    assert run(cli, "faq", "export", str(backup), "--deleted")[0] == 0
    base.restore(base.get_by_key("hours").id, author="editor")
    code, out = run(cli, "faq", "import", str(backup), "--overwrite")
    assert code == 0 and "0 created, 0 updated, 2 unchanged, 1 deleted" in out
    assert base.get_by_key("hours").deleted_at is not None


def test_a_rasa_import_prints_what_it_leaves_out(cli: typer.Typer, tmp_path: Path) -> None:
    rasa = tmp_path / "faq.yml"
    rasa.write_text(
        "nlu:\n- intent: faq/hours\n  examples: |\n    - When are you open?\n"
        "responses:\n  utter_faq/hours:\n  - text: 9-5.\n  - text: Nine to five.\n"
    )
    code, out = run(cli, "faq", "import", str(rasa), "--check")
    assert code == 0
    assert out.splitlines() == [
        "note: utter_faq/hours has 2 variants; the first is the answer",
        f"{rasa}: 1 entry, all valid; importing would create 1, update 0, leave 0 unchanged "
        "(nothing written)",
    ]


def test_an_import_from_the_cli_is_announced_to_running_servers(
    cli: typer.Typer,
    tmp_path: Path,
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Servers heard of CLI edits only at their safety-net poll, up to 15 s later.
    import redis

    from knowledge.sync import revision_channel

    monkeypatch.setenv("DESKBOT_REDIS_URL", redis_url)
    monkeypatch.setenv("DESKBOT_REDIS_PREFIX", redis_prefix)
    listener = redis.Redis.from_url(redis_url).pubsub()
    listener.subscribe(revision_channel(redis_prefix))
    assert listener.get_message(timeout=5)["type"] == "subscribe"  # listening from here on
    try:
        source = tmp_path / "faq.json"
        source.write_text(json.dumps(ENTRIES))
        code, out = run(cli, "faq", "import", str(source))
        assert code == 0, out
        message = listener.get_message(timeout=5)
        assert message is not None and out.endswith(f"(revision {int(message['data'])})\n")
        code, out = run(cli, "faq", "list")  # reads only: nothing to announce
        assert code == 0 and listener.get_message(timeout=0.5) is None
    finally:
        listener.close()
    monkeypatch.setenv("DESKBOT_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    changed = [{**ENTRIES[0], "answer": "10-6"}]
    source.write_text(json.dumps(changed))
    code, out = run(cli, "faq", "import", str(source))
    assert code == 0 and "1 updated" in out and "Redis did not answer" in out


def test_check_finds_what_the_import_would_refuse_and_writes_nothing(
    cli: typer.Typer, tmp_path: Path
) -> None:
    # --check read the file only: it said "all valid" for a file the import then refused.
    source = tmp_path / "faq.json"
    source.write_text(json.dumps(ENTRIES))
    assert run(cli, "faq", "import", str(source))[0] == 0
    exported = tmp_path / "exported.json"
    assert run(cli, "faq", "export", str(exported))[0] == 0
    base = FaqBase(create_db_engine(os.environ["DESKBOT_DATABASE_URL"]))
    hours = base.get_by_key("hours")
    base.update(hours.id, expected_version=hours.version, author="staff", answer="8-6")
    revision = base.current_revision()
    rows = json.loads(exported.read_text())
    rows[0]["answer"] = "9-5, Sundays closed"  # changed in the file too: a conflict
    rows[1]["answer"] = "Within 3 days."  # changed in the file only
    exported.write_text(json.dumps(rows))
    code, out = run(cli, "faq", "import", "--check", str(exported))
    assert code == 2 and "changed after this file was exported: hours" in out, out
    assert out.rstrip().endswith("to replace them with the file's version")  # not cut off
    rows[0]["answer"] = "9-5"  # as exported: the staff's 8-6 stands
    exported.write_text(json.dumps(rows))
    code, out = run(cli, "faq", "import", "--check", str(exported))
    assert code == 0, out
    assert "importing would create 0, update 1, leave 2 unchanged (nothing written)" in out
    assert base.current_revision() == revision
    assert base.get_by_key("refund").answer == "Within 5 days."


def test_check_without_a_reachable_database_checks_the_file(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CI step validating FAQ files has no database: --check must still give its verdict.
    monkeypatch.setenv("DESKBOT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x")
    source = tmp_path / "faq.json"
    source.write_text(json.dumps(ENTRIES))
    result = CliRunner().invoke(cli, ["faq", "import", "--check", str(source)])
    assert result.exit_code == 0, result.output
    assert f"{source}: 3 entries, all valid (nothing written)" in result.stdout
    assert "note: not compared with the database: cannot use the database" in result.stderr
    assert run(cli, "faq", "import", str(source))[0] != 0  # a real import needs it
