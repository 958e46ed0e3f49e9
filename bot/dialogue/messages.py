"""What the bot (or an agent) says, and how each channel puts it on the wire."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.state import agent_name
from bot.tokens import BOOTSTRAP_NAME, ROLES

Sender = Literal["bot", "agent"]


@dataclass(frozen=True)
class BotMessage:
    """One outgoing message in Rasa's shape (text, buttons, image, custom, attachment).

    ``sender`` tells the widget whether a human agent wrote it; ``agent`` names them.
    """

    text: str | None = None
    buttons: tuple[dict[str, Any], ...] = ()
    image: str | None = None
    custom: dict[str, Any] | None = None
    attachment: dict[str, Any] | None = None
    sender: Sender = "bot"
    agent: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def split(self) -> list[BotMessage]:
        """The messages Rasa sends for this one: a text holding a blank line as separate
        messages, buttons with the last; then its custom JSON, image and attachment each a
        message of its own (rasa-webchat shows a text only in an event that has no
        attachment, so "text + image" as one event lost its text).

        A person's message stays one: its blank lines are paragraphs (split, the live
        widget showed two bubbles where its history showed one).
        """
        *head, last = self._paragraphs()
        return [*head, *last._media_apart()]

    def _media_apart(self) -> list[BotMessage]:
        """Text (with its buttons), custom, image, attachment: in Rasa's order, one each."""
        bare = replace(self, text=None, buttons=(), image=None, custom=None, attachment=None)
        kinds = [
            replace(bare, text=self.text, buttons=self.buttons)
            if self.text is not None or self.buttons
            else None,
            replace(bare, custom=self.custom) if self.custom is not None else None,
            replace(bare, image=self.image) if self.image else None,
            replace(bare, attachment=self.attachment) if self.attachment else None,
        ]
        present = [message for message in kinds if message is not None]
        return present if len(present) > 1 else [self]

    def _paragraphs(self) -> list[BotMessage]:
        if not self.text or "\n\n" not in self.text or self.sender == "agent":
            return [self]
        parts = [p for p in self.text.split("\n\n") if p.strip()]
        head = [BotMessage(text=p, sender=self.sender, agent=self.agent) for p in parts[:-1]]
        last = BotMessage(
            text=parts[-1] if parts else "",
            buttons=self.buttons,
            image=self.image,
            custom=self.custom,
            attachment=self.attachment,
            sender=self.sender,
            agent=self.agent,
            metadata=self.metadata,
        )
        return [*head, last]

    def to_rest(self, recipient_id: str) -> dict[str, Any]:
        """The REST channel's JSON (PROTOCOLS §1); absent keys are omitted."""
        out: dict[str, Any] = {"recipient_id": recipient_id}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [dict(b) for b in self.buttons]
        if self.image:
            out["image"] = self.image
        if self.attachment:
            out["attachment"] = self.attachment
        if self.custom is not None:
            out["custom"] = self.custom
        return out

    def to_socketio(self) -> dict[str, Any]:
        """The ``bot_uttered`` payload rasa-webchat understands (PROTOCOLS §2)."""
        if self.custom is not None and self.text is None:
            return dict(self.custom)
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["quick_replies"] = [_quick_reply(b) for b in self.buttons]
        if self.image:
            out["attachment"] = {"type": "image", "payload": {"src": self.image}}
        elif self.attachment:
            out["attachment"] = self.attachment
        if self.sender == "agent":
            out["metadata"] = {"sender": "agent", "agent": shown_agent(self.agent)}
        return out


def _quick_reply(button: dict[str, Any]) -> dict[str, Any]:
    """A button as rasa-webchat reads it: a link button keeps its type and url (webchat
    renders it as a link); any other is a reply that sends its payload."""
    reply = {
        "content_type": "text",
        "title": button.get("title", ""),
        "payload": button.get("payload", ""),
    }
    if button.get("type") == "web_url" and button.get("url"):
        reply.update(type="web_url", url=button["url"])
    return reply


def shown_agent(agent: str | None) -> str | None:
    """An agent as the user may see them: "ana" for "agent:ana#3" (the prefix and the API
    token's number are the console's bookkeeping, not the user's business); None, which
    the widget shows as "Agent", for a token named after no one (unnamed tokens sign with
    their role, and the first start's admin token is "bootstrap-admin")."""
    if agent is None:
        return None
    shown = agent_name(agent)
    return None if shown in (*ROLES, BOOTSTRAP_NAME) else shown


# A channel registers one of these to receive messages produced outside a user's own turn
# (agent replies during a takeover, messages after a release).
MessageSink = Callable[[str, BotMessage], Awaitable[None]]
