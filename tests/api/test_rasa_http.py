"""Rasa's HTTP API beside its channels: /version, /status and a conversation's tracker."""

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
