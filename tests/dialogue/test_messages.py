"""What a bot message becomes on the wire: Rasa's messages, one per kind of content."""

from __future__ import annotations

from bot.dialogue import BotMessage


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
