"""The command line end to end, as a user runs it (real processes, real files)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.ports import free_port

DESKBOT = [sys.executable, "-m", "bot"]
PROJECT = Path(__file__).resolve().parents[1] / "dialogue" / "project"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        DESKBOT + args,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_token_and_conversation_delete(tmp_path: Path) -> None:
    # Before the database is set up, commands that only use it say so, and leave no empty
    # database (or var/ folder) behind in whatever folder they were run from.
    for command in (["faq", "list"], ["token", "list"], ["conversation", "delete", "x"]):
        refused = run(command, tmp_path)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert "no database at var/deskbot.db; run `deskbot db upgrade`" in refused.stderr
        assert not (tmp_path / "var").exists()
    # An FAQ file is checked on its own, and its errors come before the database's.
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text('[{"id": "a", "question": "Q?", "answer": "A."}]')
    bad.write_text('[{"id": "a", "question": "", "answer": "A."}]')
    checked = run(["faq", "import", "--check", str(good)], tmp_path)
    assert checked.returncode == 0 and "1 entry, all valid (nothing written)" in checked.stdout
    refused = run(["faq", "import", str(bad)], tmp_path)
    assert refused.returncode == 2 and "row 1, question: missing" in refused.stderr
    # what only an import into a base refused (a new key with a space) is refused here too
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("id,question,answer\nhas space,Q?,A.\n")
    alone = run(["faq", "import", "--check", str(spaced)], tmp_path)
    assert alone.returncode == 2 and "line 2, id: 'has space' has a space" in alone.stderr
    assert not (tmp_path / "var").exists()
    done = run(["db", "upgrade"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "deskbot.db").exists()
    matched = run(["db", "check"], tmp_path)
    assert matched.returncode == 0
    assert matched.stdout == "migrations match the models\n"  # not Alembic's line before it
    made = run(["token", "create", "--role", "admin", "--name", "ops"], tmp_path)
    assert made.returncode == 0 and "admin token #1: dbt_" in made.stdout
    gone = run(["conversation", "delete", "nobody"], tmp_path)
    assert gone.returncode == 0 and "no transcript" in gone.stdout


def test_faq_search_prints_a_table_and_no_progress_bar(tmp_path: Path) -> None:
    # transformers drew "Loading weights: 100%|####|" on stderr into every command that
    # loads the encoder.
    faq = tmp_path / "faq.json"
    faq.write_text(
        '[{"id": "hours", "question": "When are you open?", "answer": "9 to 5."},'
        ' {"id": "refund", "question": "How do I get a refund?", "answer": "Ask us."}]'
    )
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    assert run(["faq", "import", str(faq)], tmp_path).returncode == 0
    found = run(["faq", "search", "what are your opening hours"], tmp_path)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0] == "confidence\tscore\tentry\tclosest phrasing"
    assert lines[1].split("\t")[2] == "hours"
    assert "Loading weights" not in found.stderr and "it/s" not in found.stderr
    # A phrasing another entry has is imported, and said: the bot can answer with neither.
    twin = tmp_path / "twin.json"
    twin.write_text('[{"id": "late", "question": "when are you OPEN", "answer": "Late."}]')
    note = (
        "note: late: \u201cwhen are you OPEN\u201d is also a phrasing of hours, so a message "
        "saying it is suggested at most, never answered"
    )
    checked = run(["faq", "import", "--check", str(twin)], tmp_path)  # said before it is done
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == note
    assert "would create 1" in checked.stdout
    assert "late" not in run(["faq", "list"], tmp_path).stdout
    imported = run(["faq", "import", str(twin)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines()[0] == note
    again = run(["faq", "import", str(faq)], tmp_path)  # nothing changed: nothing to say
    assert again.returncode == 0 and "note:" not in again.stdout


def test_conversation_delete_waits_for_a_turn_in_progress(tmp_path: Path) -> None:
    # A turn holds the conversation (its lock row, as a running worker would): deleting now
    # would let that turn write the conversation back, so the delete waits and, past the
    # lock timeout, refuses with one line; once free it deletes.
    import asyncio

    from bot.db import create_db_engine
    from bot.sessions import SqlSessionStore
    from bot.state import Conversation

    assert run(["db", "upgrade"], tmp_path).returncode == 0
    engine = create_db_engine(f"sqlite:///{tmp_path / 'var' / 'deskbot.db'}")
    store = SqlSessionStore(engine, lock_timeout=60)

    async def while_held() -> subprocess.CompletedProcess[str]:
        await store.save(Conversation(id="busy"), 0)
        async with store.lock("busy"):
            return await asyncio.to_thread(
                run, ["conversation", "delete", "busy"], tmp_path, DESKBOT_LOCK_TIMEOUT_SECONDS="1"
            )

    refused = asyncio.run(while_held())
    assert refused.returncode != 0 and "busy" in refused.stderr, refused.stderr
    assert asyncio.run(store.load("busy")) is not None  # nothing deleted meanwhile
    freed = run(["conversation", "delete", "busy"], tmp_path)
    assert freed.returncode == 0, freed.stderr
    assert asyncio.run(store.load("busy")) is None
    engine.dispose()


def test_token_list_and_revoke(tmp_path: Path) -> None:
    from bot.db import create_db_engine
    from bot.tokens import TokenStore

    assert run(["db", "upgrade"], tmp_path).returncode == 0
    tokens = [
        run(["token", "create", "--role", *args], tmp_path).stdout.split()[-1]
        for args in (["admin", "--name", "ops"], ["agent", "--name", "alice"])
    ]
    revoked = run(["token", "revoke", "alice"], tmp_path)
    assert revoked.returncode == 0
    assert revoked.stdout.strip() == "agent token #2 (alice) revoked"
    unknown = run(["token", "revoke", "7"], tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip() == "error: no token #7; `deskbot token list` shows them"
    listed = run(["token", "list"], tmp_path)
    assert listed.returncode == 0
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [(r[0], r[1], r[2], r[-1]) for r in rows] == [
        ("#1", "admin", "active", "ops"),
        ("#2", "agent", "revoked", "alice"),
    ]
    assert not any(token in listed.stdout for token in tokens)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'var' / 'deskbot.db'}")
    try:
        store = TokenStore(engine)
        assert store.verify(tokens[0]) is not None and store.verify(tokens[1]) is None
    finally:
        engine.dispose()


def test_known_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    bad = run(["db", "upgrade"], tmp_path, DESKBOT_SESSION_STORE="redis")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: DESKBOT_REDIS_URL must be set when DESKBOT_SESSION_STORE=redis"
    ]
    role = run(["token", "create", "--role", "boss"], tmp_path)
    assert role.returncode == 2 and "Traceback" not in role.stderr
    assert "role must be one of agent, admin" in role.stderr
    usage = run(["no-such-command"], tmp_path)
    assert usage.returncode == 2 and "No such command" in usage.stderr


def test_serve_migrates_and_answers_health(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [*DESKBOT, "serve", "--port", str(port), "--project", str(PROJECT)],
        cwd=tmp_path,
        env={**os.environ, "DESKBOT_RATE_LIMIT_ADDRESS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start in 60 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert (tmp_path / "var" / "deskbot.db").exists()
        reply = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            json={"sender": "cli-test", "message": "/greet"},
            timeout=30,
        )
        assert reply.json() == [{"recipient_id": "cli-test", "text": "Hello! How can I help?"}]

        # Behind a reverse proxy on this host, each user is limited by their own address
        # (X-Forwarded-For, trusted from 127.0.0.1), not all together by the proxy's.
        def send(address: str, sender: str) -> int:
            return httpx.post(
                f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                json={"sender": sender, "message": "/greet"},
                headers={"X-Forwarded-For": address},
                timeout=30,
            ).status_code

        assert [send("203.0.113.7", f"proxied-{i}") for i in range(3)] == [200, 200, 429]
        assert send("198.51.100.9", "proxied-other") == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_cli_and_light_modules_load_without_torch() -> None:
    # `deskbot --help`, `token list` or `faq list` took ~7 s loading torch and faiss they
    # never used; the packages load those on first use of a name that needs them.
    code = (
        "import sys, bot.cli, knowledge.tables\n"
        "from knowledge import FaqBase, KnowledgeError\n"
        "from nlu import NluError\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'faiss'))\n"
        "assert not heavy, heavy[:5]\n"
        "import knowledge, nlu\n"
        "assert knowledge.FaqRetriever.__module__ == 'knowledge.retriever'\n"
        "assert nlu.NluModel.__module__ == 'nlu.inference' and 'torch' in sys.modules\n"
        "assert 'FaqRetriever' in dir(knowledge)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_train_without_examples_names_the_files(tmp_path: Path) -> None:
    # An empty data/nlu.yml gave "error: no training examples", naming no file or project.
    bot = tmp_path / "bot"
    (bot / "data").mkdir(parents=True)
    (bot / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n')
    (bot / "data" / "nlu.yml").write_text("")
    done = run(["train", "--project", str(bot)], tmp_path, DESKBOT_DATA_DIR=str(tmp_path / "var"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{bot / 'data'}: no NLU examples and no FAQ questions" in done.stderr


def test_conversation_export_writes_the_transcript(tmp_path: Path) -> None:
    # An operator answering "what do you hold about me" had only the agents' HTTP API.
    import asyncio
    import json

    from bot.db import create_db_engine
    from bot.transcripts import TranscriptEvent, TranscriptLog

    assert run(["db", "upgrade"], tmp_path).returncode == 0
    engine = create_db_engine(f"sqlite:///{tmp_path / 'var' / 'deskbot.db'}")
    said = [
        TranscriptEvent("user", {"text": "Où est ma commande ?"}, actor="user"),
        TranscriptEvent("bot", {"text": "Which order?"}),
    ]
    asyncio.run(TranscriptLog(engine).append("c1", said))
    engine.dispose()
    shown = run(["conversation", "export", "c1"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["conversation"]["id"] == "c1"
    assert [(e["type"], e["data"]["text"]) for e in document["events"]] == [
        ("user", "Où est ma commande ?"),
        ("bot", "Which order?"),
    ]
    saved = run(["conversation", "export", "c1", "--out", "out/c1.json"], tmp_path)
    assert saved.returncode == 0 and "exported 2 events of c1" in saved.stderr
    assert json.loads((tmp_path / "out" / "c1.json").read_text()) == document
    missing = run(["conversation", "export", "nobody"], tmp_path)
    assert missing.returncode == 2 and missing.stderr.strip() == "error: no transcript for nobody"
