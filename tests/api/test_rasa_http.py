"""Rasa's HTTP API beside its channels: /version, /status, a conversation's tracker, and
triggering an intent."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_channels import say


def test_version_is_public_and_names_the_rasa_version_spoken(client: TestClient) -> None:
    # /version answered 404; monitoring and CI scripts call it.
    body = client.get("/version").json()
    assert body["version"].startswith("3.") and body["minimum_compatible_version"]
    assert body["deskbot"]


def test_tracker_and_status_need_an_agents_token(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "tr-1", "/check_order")
    say(client, "tr-1", "my order is 12345")
    assert client.get("/conversations/tr-1/tracker").status_code == 401
    tracker = client.get("/conversations/tr-1/tracker", headers=agent_headers).json()
    assert tracker["sender_id"] == "tr-1"
    assert tracker["slots"]["order_number"] == "12345"
    assert tracker["latest_message"]["text"] == "my order is 12345"
    assert [e["event"] for e in tracker["events"]].count("user") == 2
    # Bot events as Rasa's BotUttered: every data key present, buttons where there were any
    said = [e for e in tracker["events"] if e["event"] == "bot"]
    keys = {"elements", "quick_replies", "buttons", "attachment", "image", "custom"}
    assert said and all(set(e["data"]) == keys and e["text"] for e in said)
    assert any(e["data"]["buttons"] is None for e in said)
    # an unknown conversation has an empty tracker, as in Rasa
    empty = client.get("/conversations/nobody/tracker", headers=agent_headers).json()
    assert (empty["events"], empty["slots"]["order_number"]) == ([], None)
    # Rasa tooling sends the token as a query parameter
    token = agent_headers["Authorization"].split(" ", 1)[1]
    assert client.get(f"/conversations/tr-1/tracker?token={token}").status_code == 200
    assert client.get("/conversations/tr-1/tracker?token=nope").status_code == 401
    assert client.get("/status").status_code == 401
    status = client.get("/status", headers=agent_headers).json()
    assert status["num_active_training_jobs"] == 0 and "fingerprint" in status


def test_trigger_intent_acts_on_an_intent_the_user_did_not_send(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "ti-1", "hello")
    url = "/conversations/ti-1/trigger_intent"
    body = {"name": "EXTERNAL_order_shipped", "entities": {"order_number": "NW-7"}}
    assert client.post(url, json=body).status_code == 401
    answer = client.post(url, json=body, headers=agent_headers)
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert reply["messages"] == [
        {"recipient_id": "ti-1", "text": "Good news: order NW-7 has shipped."}
    ]
    tracker = reply["tracker"]
    assert tracker["slots"]["order_number"] == "NW-7"
    assert tracker["latest_message"]["intent"]["name"] == "EXTERNAL_order_shipped"
    assert tracker["events"][-1]["text"] == "Good news: order NW-7 has shipped."
    # the widget's history shows what the bot said, not the invisible intent
    history = client.get("/api/widget/history/ti-1").json()["messages"]
    assert [m["text"] for m in history][-1] == "Good news: order NW-7 has shipped."
    assert all("EXTERNAL" not in (m["text"] or "") for m in history)
    # the agents' transcript says where it came from
    events = client.get("/api/agent/conversations/ti-1", headers=agent_headers).json()["events"]
    assert [e["data"]["intent"] for e in events if e["type"] == "trigger"] == [
        "EXTERNAL_order_shipped"
    ]


def test_the_user_cannot_send_an_intent_only_the_shop_sends(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    # Typed in the widget, the shortcut told the user their order had shipped.
    typed = '/EXTERNAL_order_shipped{"order_number": "NW-7"}'
    replies = say(client, "ti-4", typed)
    assert replies and all("shipped" not in (r.get("text") or "") for r in replies)
    tracker = client.get("/conversations/ti-4/tracker", headers=agent_headers).json()
    assert tracker["slots"]["order_number"] is None
    assert tracker["latest_message"]["intent"]["name"] == "nlu_fallback"
    assert tracker["latest_message"]["text"] == typed  # recorded as written
    # A shortcut of an intent the user may send still works.
    assert say(client, "ti-4", "/greet")[0]["text"] != replies[0]["text"]


def test_trigger_intent_refuses_what_it_cannot_act_on(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    url = "/conversations/ti-2/trigger_intent"
    unknown = client.post(url, json={"name": "EXTERNAL_nope"}, headers=agent_headers)
    assert unknown.status_code == 404 and "not in the domain" in unknown.json()["detail"]
    nameless = client.post(url, json={"entities": {}}, headers=agent_headers)
    assert nameless.status_code == 422 and "name" in nameless.json()["detail"]
    bad = client.post(url, json={"name": "greet", "entities": [1]}, headers=agent_headers)
    assert bad.status_code == 422
    # a slot takes what an entity holds: an object there broke what later read the slot
    nested = {"name": "EXTERNAL_order_shipped", "entities": {"order_number": {"a": 1}}}
    refused = client.post(url, json=nested, headers=agent_headers)
    assert refused.status_code == 422
    assert "entity 'order_number' must be a string" in refused.json()["detail"]
    assert client.get("/conversations/ti-2/tracker", headers=agent_headers).json()["events"] == []


def test_trigger_intent_while_an_agent_has_it_is_refused_and_recorded_nowhere(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "ti-3", "hello")
    base = "/api/agent/conversations/ti-3"
    assert client.post(f"{base}/takeover", headers=agent_headers).status_code == 200
    before = client.get("/conversations/ti-3/tracker", headers=agent_headers).json()["events"]
    body = {"name": "EXTERNAL_order_shipped", "entities": {"order_number": "NW-7"}}
    url = "/conversations/ti-3/trigger_intent"
    refused = client.post(url, json=body, headers=agent_headers)
    assert refused.status_code == 409, refused.text
    assert "an agent has it" in refused.json()["detail"]
    after = client.get("/conversations/ti-3/tracker", headers=agent_headers).json()["events"]
    assert after == before


def test_trigger_intent_restart_and_the_events_asked_for(
    client: TestClient, agent_headers: dict[str, str]
) -> None:
    say(client, "ti-4", "/check_order")
    say(client, "ti-4", "my order is 12345")
    url = "/conversations/ti-4/trigger_intent"
    restarted = client.post(url, json={"name": "restart"}, headers=agent_headers)
    assert restarted.status_code == 200, restarted.text
    tracker = restarted.json()["tracker"]
    assert tracker["slots"]["order_number"] is None and tracker["active_loop"] == {}
    assert [e["event"] for e in tracker["events"]][:2] == ["action", "session_started"]
    none = client.get("/conversations/ti-4/tracker?include_events=NONE", headers=agent_headers)
    assert none.json()["events"] is None
    wrong = client.get("/conversations/ti-4/tracker?include_events=some", headers=agent_headers)
    assert wrong.status_code == 400 and "AFTER_RESTART" in wrong.json()["detail"]
