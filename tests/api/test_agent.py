"""The agents' API: auth, finding conversations, transcripts, handoff, replies, annotations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from botstack import bearer, make_components
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.api import create_app
from bot.api.annotations import markup
from bot.cli import web
from bot.dialogue.config import DEFAULT_RELEASED_IN_FORM_TEXT
from bot.errors import BotError
from bot.settings import Settings
from bot.tokens import BOOTSTRAP_NAME, MAX_NAME_CHARS

AGENT = "/api/agent"


def say(client: TestClient, sender: str, text: str) -> list[dict[str, Any]]:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    replies: list[dict[str, Any]] = response.json()
    return replies


def ids(client: TestClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = client.get(f"{AGENT}/conversations{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["conversations"]]


def test_the_agent_api_needs_a_token(client: TestClient, app: FastAPI) -> None:
    none = client.get(f"{AGENT}/conversations")
    assert none.status_code == 401
    assert none.json()["error"] == "Unauthorized"
    assert "Bearer" in none.json()["detail"]
    wrong = client.get(f"{AGENT}/conversations", headers={"Authorization": "Bearer dbt_nope"})
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.json()["detail"]
    for role in ("agent", "admin"):
        assert client.get(f"{AGENT}/me", headers=bearer(app, role)).json()["role"] == role


def test_conversations_filter_by_view_intent_and_date(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "greeter", "hello")
    say(client, "asker", "When are you open?")
    say(client, "needs-help", "I want to talk to a person")
    for _ in range(1):
        say(client, "confused", "xyzzy")
    assert set(ids(client, agent_headers)) == {"greeter", "asker", "needs-help", "confused"}
    assert ids(client, agent_headers, "?view=waiting") == ["needs-help"]
    assert ids(client, agent_headers, "?view=low_confidence") == ["confused"]
    assert set(ids(client, agent_headers, "?view=live")) == {
        "greeter",
        "asker",
        "needs-help",
        "confused",
    }
    assert ids(client, agent_headers, "?intent=greet") == ["greeter"]
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client, agent_headers, f"?since={future}") == []
    assert len(ids(client, agent_headers, f"?until={future}")) == 4
    # a time without an offset is UTC, also beside the live view's own cut-off
    naive = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(ids(client, agent_headers, f"?view=live&since={naive}")) == 4
    ahead = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert ids(client, agent_headers, f"?since={ahead}") == []
    # an offset is honoured: an hour from now in UTC+02:00 is an hour ago in UTC
    plus_two = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S%%2B02:00")
    assert len(ids(client, agent_headers, f"?since={plus_two}")) == 4
    listed = client.get(f"{AGENT}/conversations", headers=agent_headers).json()
    assert listed["waiting"] == 1
    bad = client.get(f"{AGENT}/conversations?view=nope", headers=agent_headers)
    assert bad.status_code == 422 and "view" in bad.json()["detail"]
    # What the user writes to the agent who took over is not the bot's to understand: it
    # flagged every taken-over chat for the low-confidence view.
    took = client.post(f"{AGENT}/conversations/needs-help/takeover", headers=agent_headers)
    assert took.status_code == 200, took.text
    say(client, "needs-help", "xyzzy, it flickers")
    assert ids(client, agent_headers, "?view=low_confidence") == ["confused"]


def test_filters_and_export_work_on_postgresql(
    settings_for: Callable[..., Settings], postgres_database: str
) -> None:
    app = create_app(settings_for("postgresql"), components=make_components())
    with TestClient(app) as client:
        headers = bearer(app, "agent", "pg")
        say(client, "pg-greeter", "hello")
        say(client, "pg-asker", "When are you open?")
        assert ids(client, headers, "?intent=greet") == ["pg-greeter"]
        assert ids(client, headers, "?intent=faq") == ["pg-asker"]
        events = client.get(f"{AGENT}/conversations/pg-asker", headers=headers).json()["events"]
        seq = next(e["seq"] for e in events if e["type"] == "user")
        client.post(
            f"{AGENT}/conversations/pg-asker/annotations",
            json={"seq": seq, "intent": "opening_hours"},
            headers=headers,
        )
        assert ids(client, headers, "?intent=opening_hours") == ["pg-asker"]
        exported = yaml.safe_load(client.get(f"{AGENT}/annotations.yml", headers=headers).text)
        expected = [{"intent": "opening_hours", "examples": "- When are you open?\n"}]
        assert exported["nlu"] == expected
        # PostgreSQL's "integer out of range" is the caller's mistake too.
        huge = client.get(f"{AGENT}/conversations/pg-asker?after={2**40}", headers=headers)
        assert huge.status_code == 422 and "out of range" in huge.json()["detail"]
        # The longest token name still fits where actors and authors are recorded (a
        # 200-character name made every action of its holder a 500 on PostgreSQL).
        name = "n" * MAX_NAME_CHARS
        longest = bearer(app, "agent", name)
        say(client, "pg-long", "hello")
        taken = client.post(f"{AGENT}/conversations/pg-long/takeover", headers=longest)
        assert taken.status_code == 200, taken.text
        created = client.post(
            "/api/faq/entries",
            json={"external_key": "by", "question": "Who wrote this?", "answer": "Someone."},
            headers=bearer(app, "admin", name),
        )
        assert created.status_code == 201, created.text
        # A NUL stored anywhere in an event made every agent's intent filter a 500 for good
        # (PostgreSQL cannot read \u0000 in JSON); each way in refuses it, naming it.
        nul = "\u0000"
        refused = [
            client.post("/webhooks/rest/webhook", json={"sender": "pg-nul", "message": f"hi{nul}"}),
            client.post(
                "/webhooks/rest/webhook",
                json={"sender": "pg-nul", "message": "hi", "metadata": {"k": [f"v{nul}"]}},
            ),
            client.post(
                "/webhooks/rest/webhook",
                json={"sender": "pg-nul", "message": "hi", "metadata": {f"k{nul}": 1}},
            ),
            client.post(
                f"{AGENT}/conversations/pg-long/messages",
                json={"text": f"a{nul}b"},
                headers=longest,
            ),
            client.post(
                f"{AGENT}/conversations/pg-asker/annotations",
                json={
                    "seq": seq,
                    "intent": "greet",
                    "entities": [{"entity": "x", "start": 0, "end": 4, "value": nul}],
                },
                headers=headers,
            ),
            client.get("/api/widget/history/a%00b"),
            client.get(f"{AGENT}/conversations/a%00b", headers=headers),
            client.post(f"{AGENT}/conversations/a%00b/takeover", headers=headers),
        ]
        for response in refused:
            assert response.status_code == 422, response.text
        assert all("NUL" in r.json()["detail"] for r in refused[:5])
        assert client.get(f"{AGENT}/conversations/pg-nul", headers=headers).status_code == 404
        # Escaped in a button's JSON the text itself holds no NUL: the values are dropped
        # (as JSON too deep is), the intent kept.
        say(client, "pg-nul", '/greet{"name": "a\\u0000b", "x": "\\ud800"}')
        events = client.get(f"{AGENT}/conversations/pg-nul", headers=headers).json()["events"]
        user = next(e["data"] for e in events if e["type"] == "user")
        assert user["parse"]["entities"] == [] and user["parse"]["intent"]["name"] == "greet"
        assert sorted(ids(client, headers, "?intent=greet")) == ["pg-greeter", "pg-long", "pg-nul"]


def test_a_transcript_shows_each_turns_parse_and_faq_match(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "t1", "When are you open?")
    body = client.get(f"{AGENT}/conversations/t1", headers=agent_headers).json()
    assert body["conversation"]["handoff"] == "bot"
    user = next(e for e in body["events"] if e["type"] == "user")
    assert user["data"]["text"] == "When are you open?"
    assert user["data"]["parse"]["intent"]["name"] == "faq"
    assert user["data"]["faq"]["entry"] == "opening-hours"
    assert user["data"]["faq"]["decision"] == "answer"
    assert user["data"]["faq"]["score"] > 0.5
    assert any(e["type"] == "bot" and "9 to 5" in e["data"]["text"] for e in body["events"])
    missing = client.get(f"{AGENT}/conversations/nobody", headers=agent_headers)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"


def test_takeover_reply_release_and_close(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "h1", "I want to talk to a person")
    base = f"{AGENT}/conversations/h1"
    early = client.post(f"{base}/messages", json={"text": "hi"}, headers=agent_headers)
    assert early.status_code == 409 and "take the conversation over" in early.json()["detail"]
    assert client.post(f"{base}/takeover", headers=agent_headers).json()["handoff"] == "human"
    assert say(client, "h1", "hello?") == []  # the bot stays silent while an agent has it
    sent = client.post(f"{base}/messages", json={"text": "Ana here."}, headers=agent_headers)
    assert sent.json()["sent"] == {
        "text": "Ana here.",
        "metadata": {"sender": "agent", "agent": "ana"},  # the token's number stays inside
    }
    half_emoji = client.post(  # stored, a lone surrogate would break every read of the chat
        f"{base}/messages",
        content='{"text": "see you \\ud83d"}',
        headers={**agent_headers, "content-type": "application/json"},
    )
    assert half_emoji.status_code == 422  # pydantic refuses it (AgentReply has a max_length)
    history = client.get("/api/widget/history/h1").json()["messages"]
    assert history[-1] == {"sender": "agent", "text": "Ana here.", "agent": "ana"}
    assert client.post(f"{base}/release", headers=agent_headers).json()["handoff"] == "bot"
    assert say(client, "h1", "hello")[0]["text"] == "Hello! How can I help?"
    closed = client.post(f"{base}/close", headers=agent_headers).json()
    assert closed["handoff"] == "closed" and closed["status"] == "closed"
    # "take the conversation over before writing", which a closed one refuses too
    late = client.post(f"{base}/messages", json={"text": "one more thing"}, headers=agent_headers)
    assert (late.status_code, late.json()["detail"]) == (
        409,
        "conversation 'h1' is closed; the user's next message reopens it with the bot",
    )
    events = client.get(base, headers=agent_headers).json()["events"]
    handoffs = [(e["data"]["to"], e["actor"]) for e in events if e["type"] == "handoff"]
    assert handoffs[-3:] == [
        ("human", "agent:ana#1"),
        ("bot", "agent:ana#1"),
        ("closed", "agent:ana#1"),
    ]
    empty = client.post(f"{base}/messages", json={"text": ""}, headers=agent_headers)
    assert empty.status_code == 422 and "text" in empty.json()["detail"]
    for blank in ("\u200b", "   "):  # the same refusal as an empty text (it was a 400)
        refused = client.post(f"{base}/messages", json={"text": blank}, headers=agent_headers)
        assert refused.status_code == 422
        assert refused.json() == {
            "error": "ValidationError",
            "detail": "text: an agent message needs text",
        }


def test_released_in_a_form_a_rest_user_finds_the_question_in_the_history(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    # REST cannot push: the question asked again waits in the widget's history, and the
    # user's next message answers it.
    say(client, "rf1", "I want to check my order")
    say(client, "rf1", "I want to talk to a person")
    base = f"{AGENT}/conversations/rf1"
    assert client.post(f"{base}/takeover", headers=agent_headers).status_code == 200
    assert client.post(f"{base}/release", headers=agent_headers).json()["handoff"] == "bot"
    history = client.get("/api/widget/history/rf1").json()["messages"]
    assert [(m["sender"], m["text"]) for m in history[-2:]] == [
        ("bot", DEFAULT_RELEASED_IN_FORM_TEXT),
        ("bot", "What is your order number?"),
    ]
    assert [r["text"] for r in say(client, "rf1", "it is 12345")] == ["Order 12345 is on its way."]


def test_a_second_agent_must_force_a_takeover_and_release_is_announced(
    client: TestClient, app: FastAPI, agent_headers: dict[str, str]
) -> None:
    say(client, "h2", "I want to talk to a person")
    base = f"{AGENT}/conversations/h2"
    me = client.get(f"{AGENT}/me", headers=agent_headers).json()
    assert me["agent"] == "ana#1"
    assert client.post(f"{base}/takeover", headers=agent_headers).status_code == 200
    assert client.get(base, headers=agent_headers).json()["conversation"]["agent"] == "ana#1"
    bo = bearer(app, "agent", "bo")
    refused = client.post(f"{base}/takeover", headers=bo)
    assert refused.status_code == 409 and "ana has taken" in refused.json()["detail"]
    cut_in = client.post(f"{base}/messages", json={"text": "hi"}, headers=bo)
    assert cut_in.status_code == 409
    assert client.post(f"{base}/takeover?force=true", headers=bo).status_code == 200
    assert client.get(base, headers=bo).json()["conversation"]["agent"] == "bo#2"
    late = client.post(f"{base}/messages", json={"text": "hi"}, headers=agent_headers)
    assert late.status_code == 409 and "bo has taken" in late.json()["detail"]
    stale = client.post(f"{base}/close?force=true&holder=ana%231", headers=agent_headers)
    assert stale.status_code == 409 and "bo has this conversation now" in stale.json()["detail"]
    assert client.post(f"{base}/release", headers=bo).json()["handoff"] == "bot"
    history = client.get("/api/widget/history/h2").json()["messages"]
    assert history[-1]["sender"] == "bot" and "assistant again" in history[-1]["text"]
    assert client.get(base, headers=bo).json()["conversation"]["agent"] is None


@pytest.mark.parametrize(("role", "name"), [("admin", BOOTSTRAP_NAME), ("agent", "")])
def test_a_token_named_after_no_one_is_shown_to_the_user_as_an_agent(
    client: TestClient, app: FastAPI, role: str, name: str
) -> None:
    # Users saw "bootstrap-admin: Hello" from the first start's token, or "agent: ..."
    # from an unnamed one; the console still says which token it was.
    headers = bearer(app, role, name)
    say(client, "h4", "I want to talk to a person")
    base = f"{AGENT}/conversations/h4"
    assert client.post(f"{base}/takeover", headers=headers).status_code == 200
    sent = client.post(f"{base}/messages", json={"text": "Hello."}, headers=headers).json()
    assert sent["sent"]["metadata"] == {"sender": "agent", "agent": None}
    history = client.get("/api/widget/history/h4").json()["messages"]
    assert history[-1] == {"sender": "agent", "text": "Hello.", "agent": None}
    held_by = client.get(base, headers=headers).json()["conversation"]["agent"]
    assert held_by == f"{name or role}#1"


def test_a_conversation_whose_state_is_lost_still_shows_who_holds_it(
    client: TestClient, app: FastAPI, agent_headers: dict[str, str]
) -> None:
    # Its live state gone (TTL, a Redis restart), the console showed no holder until the
    # user's next turn, though the transcript said Ana had it.
    say(client, "h5", "I want to talk to a person")
    base = f"{AGENT}/conversations/h5"
    assert client.post(f"{base}/takeover", headers=agent_headers).status_code == 200
    asyncio.run(app.state.deskbot.services.sessions.delete("h5"))
    assert client.get(base, headers=agent_headers).json()["conversation"]["agent"] == "ana#1"
    bo = bearer(app, "agent", "bo")
    refused = client.post(f"{base}/takeover", headers=bo)
    assert refused.status_code == 409 and "ana has taken" in refused.json()["detail"]


def test_a_refusal_names_the_holder_as_the_console_does(
    client: TestClient, app: FastAPI, agent_headers: dict[str, str]
) -> None:
    # Two agents pressed Take over at once; the second read "ana#1 has taken this
    # conversation over", a token's number the console shows nowhere else.
    say(client, "h6", "I want to talk to a person")
    base = f"{AGENT}/conversations/h6"
    assert client.post(f"{base}/takeover", headers=agent_headers).status_code == 200
    bo = bearer(app, "agent", "bo")
    refusals = {
        "takeover": client.post(f"{base}/takeover", headers=bo),
        "message": client.post(f"{base}/messages", json={"text": "hi"}, headers=bo),
        "stale": client.post(f"{base}/close?force=true&holder=cy%239", headers=bo),
        # another login of Ana's: "ana" alone would read as herself, as in the console
        "same name": client.post(f"{base}/takeover", headers=bearer(app, "agent", "ana")),
    }
    assert {what: (r.status_code, r.json()["detail"]) for what, r in refusals.items()} == {
        "takeover": (
            409,
            "ana has taken this conversation over; take it over only if they are gone (force=true)",
        ),
        "message": (
            409,
            "ana has taken this conversation over; take it over yourself before writing to "
            "the user",
        ),
        "stale": (409, "ana has this conversation now, not cy; look again"),
        "same name": (
            409,
            "ana (another login) has taken this conversation over; take it over only if they "
            "are gone (force=true)",
        ),
    }


def test_a_conversation_held_by_a_revoked_token_is_free_to_take(
    client: TestClient, app: FastAPI, agent_headers: dict[str, str]
) -> None:
    say(client, "h3", "I want to talk to a person")
    base = f"{AGENT}/conversations/h3"
    assert client.post(f"{base}/takeover", headers=agent_headers).status_code == 200
    app.state.deskbot.services.tokens.revoke(1)  # ana#1 left, or her token was rotated
    # Refused at once, though it was checked a moment ago (a 30 s cache let it on).
    late = client.post(f"{base}/messages", json={"text": "still me"}, headers=agent_headers)
    assert late.status_code == 401 and "unknown or revoked" in late.json()["detail"]
    ana_again = bearer(app, "agent", "ana")
    taken = client.post(f"{base}/takeover", headers=ana_again)
    assert taken.status_code == 200, taken.text
    assert client.get(base, headers=ana_again).json()["conversation"]["agent"] == "ana#2"


def test_annotations_are_recorded_and_exported_as_rasa_yaml(
    client: TestClient, agent_headers: dict[str, str], tmp_path: Path
) -> None:
    say(client, "a1", "my laptop from Paris is broken")
    say(client, "a2", "xy\x01zz\x7fy")  # YAML cannot hold these: the export drops them
    events = client.get(f"{AGENT}/conversations/a1", headers=agent_headers).json()["events"]
    seq = next(e["seq"] for e in events if e["type"] == "user")
    url = f"{AGENT}/conversations/a1/annotations"
    body = {
        "seq": seq,
        "intent": "report_broken",
        "entities": [
            {"entity": "product", "start": 3, "end": 9},
            {"entity": "city", "start": 15, "end": 20},
        ],
    }
    saved = client.post(url, json=body, headers=agent_headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["entities"][0]["value"] == "laptop"
    # Kept, but said: a typo would teach the model an intent that nothing answers.
    assert saved.json()["notes"] == [
        "the project has no intent 'report_broken'; training adds it, and no rule answers it",
        "the project has no entity 'product'",
        "the project has no entity 'city'",
    ]
    bot_seq = next(e["seq"] for e in events if e["type"] == "bot")
    not_user = client.post(url, json={**body, "seq": bot_seq}, headers=agent_headers)
    assert not_user.status_code == 404
    # No database column holds this: a clear 422, not a 500.
    huge = client.post(url, json={**body, "seq": 10**20}, headers=agent_headers)
    assert huge.status_code == 422 and "out of range" in huge.json()["detail"]
    after = client.get(f"{AGENT}/conversations/a1?after={10**20}", headers=agent_headers)
    assert after.status_code == 422
    outside = {**body, "entities": [{"entity": "x", "start": 3, "end": 99}]}
    bad = client.post(url, json=outside, headers=agent_headers)
    assert bad.status_code == 422 and "outside" in bad.json()["detail"]
    # Names that would break the exported training data (YAML, Rasa markup) are refused.
    for name in ("my intent: with colon", "greet\n- intent: injected", "a#b"):
        refused = client.post(url, json={**body, "intent": name}, headers=agent_headers)
        assert refused.status_code == 422 and "is not a Rasa name" in refused.json()["detail"]
    odd_entity = {**body, "entities": [{"entity": "pro duct", "start": 3, "end": 9}]}
    assert client.post(url, json=odd_entity, headers=agent_headers).status_code == 422
    # A button's payload is no example of anything (the console offered no form for it).
    say(client, "a-payload", "/greet")
    seen = client.get(f"{AGENT}/conversations/a-payload", headers=agent_headers).json()
    payload_events = seen["events"]
    payload_seq = next(e["seq"] for e in payload_events if e["type"] == "user")
    payload = client.post(
        f"{AGENT}/conversations/a-payload/annotations",
        json={"seq": payload_seq, "intent": "greet"},
        headers=agent_headers,
    )
    assert payload.status_code == 422 and "chose a button" in payload.json()["detail"]
    a2 = client.get(f"{AGENT}/conversations/a2", headers=agent_headers).json()["events"]
    a2_seq = next(e["seq"] for e in a2 if e["type"] == "user")
    client.post(
        f"{AGENT}/conversations/a2/annotations",
        json={"seq": a2_seq, "intent": "chitchat"},
        headers=agent_headers,
    )
    exported = client.get(f"{AGENT}/annotations.yml", headers=agent_headers).text
    assert yaml.safe_load(exported) == {
        "version": "3.1",
        "nlu": [
            {"intent": "chitchat", "examples": "- xyzzy\n"},
            {
                "intent": "report_broken",
                "examples": "- my [laptop](product) from [Paris](city) is broken\n",
            },
        ],
    }
    # A known intent gets no note.
    say(client, "a3", "where is my order")
    a3 = client.get(f"{AGENT}/conversations/a3", headers=agent_headers).json()["events"]
    known = {"seq": next(e["seq"] for e in a3 if e["type"] == "user"), "intent": "check_order"}
    known_url = f"{AGENT}/conversations/a3/annotations"
    assert client.post(known_url, json=known, headers=agent_headers).json()["notes"] == []


def test_the_cli_writes_the_same_yaml(
    client: TestClient,
    app: FastAPI,
    agent_headers: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    say(client, "c1", "where is my parcel")
    events = client.get(f"{AGENT}/conversations/c1", headers=agent_headers).json()["events"]
    seq = next(e["seq"] for e in events if e["type"] == "user")
    client.post(
        f"{AGENT}/conversations/c1/annotations",
        json={"seq": seq, "intent": "track_parcel", "entities": []},
        headers=agent_headers,
    )
    cli = typer.Typer()
    web.register(cli)
    monkeypatch.setenv("DESKBOT_DATABASE_URL", app.state.deskbot.services.settings.database_url)
    out = tmp_path / "out" / "annotations.yml"
    result = CliRunner().invoke(cli, ["export", "annotations", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 1 annotated example(s)" in result.output
    assert out.read_text() == client.get(f"{AGENT}/annotations.yml", headers=agent_headers).text
    # A folder as OUT ended in a traceback.
    result = CliRunner().invoke(cli, ["export", "annotations", str(tmp_path)])
    assert isinstance(result.exception, BotError)
    assert str(result.exception).startswith(f"OUT {tmp_path} is a folder: give a file name")


def test_entity_markup() -> None:
    assert markup("fly to new york", [{"entity": "city", "start": 7, "end": 15}]) == (
        "fly to [new york](city)"
    )
    synonym = [{"entity": "city", "start": 7, "end": 10, "value": "New York"}]
    assert markup("fly to NYC", synonym) == "fly to [NYC](city:New York)"
    overlapping = [
        {"entity": "a", "start": 0, "end": 3},
        {"entity": "b", "start": 2, "end": 5},
        {"entity": "c", "start": 9, "end": 99},
    ]
    assert markup("abcdefgh", overlapping) == "[abc](a)defgh"
