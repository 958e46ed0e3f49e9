"""What a bot message becomes on the wire: Rasa's messages, one per kind of content."""

from __future__ import annotations

from pathlib import Path

from bot.dialogue import BotMessage
from bot.dialogue.responses import message_from_action
from bot.project import read_domain


def test_text_and_image_are_two_messages_as_rasa_sends_them() -> None:
    # rasa-webchat shows a text only in an event without an attachment: the text was lost.
    message = BotMessage(
        text="Here it is.\n\nThe chart:",
        buttons=({"title": "OK", "payload": "/affirm"},),
        image="https://example.com/chart.png",
        custom={"kind": "chart"},
    )
    parts = message.split()
    assert [p.to_rest("u1") for p in parts] == [
        {"recipient_id": "u1", "text": "Here it is."},
        {
            "recipient_id": "u1",
            "text": "The chart:",
            "buttons": [{"title": "OK", "payload": "/affirm"}],
        },
        {"recipient_id": "u1", "custom": {"kind": "chart"}},
        {"recipient_id": "u1", "image": "https://example.com/chart.png"},
    ]
    assert [p.to_socketio() for p in parts] == [
        {"text": "Here it is."},
        {
            "text": "The chart:",
            "quick_replies": [{"content_type": "text", "title": "OK", "payload": "/affirm"}],
        },
        {"kind": "chart"},  # custom JSON as is; it was dropped beside a text
        {"attachment": {"type": "image", "payload": {"src": "https://example.com/chart.png"}}},
    ]


def test_a_message_of_one_kind_stays_one() -> None:
    for message in (
        BotMessage(text="Hi", buttons=({"title": "A", "payload": "/a"},)),
        BotMessage(image="https://example.com/a.png"),
        BotMessage(custom={"a": 1}),
    ):
        assert message.split() == [message]


def test_an_action_s_named_response_keeps_what_the_action_added(tmp_path: Path) -> None:
    # dispatcher.utter_message(response="utter_greet", buttons=[...], image=...) sent the
    # response's text alone, and the web variant of the response was never chosen. Rasa
    # adds the buttons to the response's, lets what the action gave win over the rest,
    # and picks the variant for the output channel.
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nslots:\n  name:\n    type: text\n    mappings: []\n'
        "responses:\n  utter_greet:\n"
        "    - text: Hello {name}!\n"
        "      buttons:\n        - {title: Help, payload: /help}\n"
        "    - text: Hey there {name}!\n      channel: socketio\n"
    )
    domain = read_domain([tmp_path / "domain.yml"])
    more = {"title": "Shop", "payload": "/shop"}
    said = {
        "response": "utter_greet",
        "buttons": [more],
        "image": "https://example.com/hi.png",
        "text": None,
        "custom": {},
        "name": "Ann",
    }
    message = message_from_action(said, domain, {"name": None}, channel="rest")
    assert message == BotMessage(
        text="Hello Ann!",
        buttons=({"title": "Help", "payload": "/help"}, more),
        image="https://example.com/hi.png",
    )
    web = message_from_action(said, domain, {"name": None}, channel="socketio")
    assert web is not None and web.text == "Hey there Ann!" and web.buttons == (more,)
    # text the action gives is said in place of the response's, as in Rasa
    own = message_from_action({**said, "text": "Hi!"}, domain, {}, channel="rest")
    assert own is not None and own.text == "Hi!"
    # a response the domain lacks says nothing, whatever came with it
    assert message_from_action({**said, "response": "utter_nope"}, domain, {}) is None
