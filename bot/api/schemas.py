"""Wire types of the HTTP API (request bodies), kept apart from tables and domain objects."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, field_validator

from bot.dialogue.senders import SENDER_RULE, is_valid_sender
from bot.payloads import text_problem


class RestMessage(BaseModel):
    """``POST /webhooks/rest/webhook`` (Rasa's REST channel)."""

    # Rasa's REST channel files a message without a sender under "default" (curl examples
    # and scripts leave it out; they got 422 "sender: Field required").
    sender: str = Field(default="default", description='the conversation id ("default")')
    message: str = Field(description="the user's text, or /intent{...}")
    metadata: dict[str, Any] | None = None

    @field_validator("sender", mode="before")
    @classmethod
    def _sender_as_rasa_reads_it(cls, value: Any) -> Any:
        # Rasa's UserMessage: a number is its digits ({"sender": 12345}, as a shop's user id
        # is sent), null is "default"; both got 422 here. Not a bool, an object or a list.
        if value is None:
            return "default"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        # the same rule (and status) for an empty id as for one with a "/"
        if not is_valid_sender(value):
            raise ValueError(SENDER_RULE)
        return value


class ParseRequest(BaseModel):
    """``POST /model/parse``."""

    text: str = Field(description="the text to parse; it must show something")
    message_id: str | None = None


class TriggerIntentRequest(BaseModel):
    """``POST /conversations/{id}/trigger_intent`` (Rasa's HTTP API)."""

    name: str = Field(min_length=1, max_length=200, description="the intent to act on")
    entities: dict[str, Any] | list[dict[str, Any]] | None = Field(
        None, description='{"name": "value"}, or a list of {"entity", "value"}'
    )


def _storable(value: str | None) -> str | None:
    problem = text_problem(value) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value


def _conversation_id(value: str) -> str:
    if not is_valid_sender(value):
        raise ValueError(SENDER_RULE)
    return value


# A conversation id in a path: one no conversation can have is refused before the database
# is asked (a NUL in it made PostgreSQL fail the request with a 500).
ConversationId = Annotated[str, AfterValidator(_conversation_id)]


class AgentReply(BaseModel):
    """A message an agent sends to the user."""

    text: str = Field(min_length=1, max_length=4000)

    _text = field_validator("text")(_storable)


# Rasa names: letters, digits, "_", "-", "." and "/" (retrieval intents such as faq/returns).
# Anything else would break the training data the annotations are exported as.
RASA_NAME = re.compile(r"[^\W_][\w./-]*|_[\w./-]+")


def _rasa_name(value: str) -> str:
    if not RASA_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Rasa name: use letters, digits, _, -, . and / without spaces"
        )
    return value


class AnnotationEntity(BaseModel):
    entity: str = Field(min_length=1, max_length=200)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    value: str | None = Field(None, max_length=2000)

    _entity_name = field_validator("entity")(_rasa_name)
    _value = field_validator("value")(_storable)


class Annotation(BaseModel):
    """The right intent and entities of one user message."""

    seq: int = Field(ge=1, description="the user event's sequence number")
    intent: str = Field(min_length=1, max_length=200)
    entities: list[AnnotationEntity] = Field(default_factory=list)

    _intent_name = field_validator("intent")(_rasa_name)


class FaqButton(BaseModel):
    model_config = ConfigDict(extra="forbid")  # as an import refuses a button's other keys

    title: str
    payload: str


class FaqLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    url: str


class FaqCreate(BaseModel):
    """A new FAQ entry."""

    # A misspelt field ("tagz") made an entry without it, and said nothing.
    model_config = ConfigDict(extra="forbid")

    # Checked by knowledge, in the words an import uses; left out or blank, it is made from the
    # question (staff writing one entry in the editor should not have to invent an id).
    external_key: str = ""
    # Blank texts are refused by knowledge, in the same words as in imports ("question is empty").
    question: str
    answer: str
    alternatives: list[str] = Field(default_factory=list)
    buttons: list[FaqButton] = Field(default_factory=list)
    links: list[FaqLink] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    language: str = "en"
    active: bool = True


class FaqUpdate(BaseModel):
    """An edit of an FAQ entry, made against the version the editor loaded."""

    # An entry's key cannot change; sending it (or a misspelt field) was silently dropped
    # and the edit then read "nothing to change".
    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=1, description="the entry's version when the editor loaded it")
    question: str | None = None
    answer: str | None = None
    alternatives: list[str] | None = None
    buttons: list[FaqButton] | None = None
    links: list[FaqLink] | None = None
    tags: list[str] | None = None
    language: str | None = None
    active: bool | None = None


class FaqTry(BaseModel):
    """A question to try against the FAQ."""

    # no max_length here: the configured message limit applies, with the webhook's 413
    text: str  # empty or blank: "text: must not be empty", as the chat refuses it
    k: int = Field(5, ge=1, le=20)
