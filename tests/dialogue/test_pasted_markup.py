"""Markup and code pasted into the chat: the bot reads the text in them, and nothing else."""

from __future__ import annotations

from typing import Any

from bot.dialogue import DialogueManager
from tests.dialogue.conftest import AskedFaq, FixedParser


class SureOfAnything(FixedParser):
    """A model that reads what it knows and is sure of a guess at anything else, as a
    fine-tuned classifier is; it records what it was given to read."""

    def __init__(self) -> None:
        super().__init__({"hi there": ("greet", 0.95)})
        self.read: list[str] = []

    async def parse(self, text: str) -> dict[str, Any]:
        self.read.append(text)
        parse = await super().parse(text.strip())
        if parse["intent"]["name"] == "nlu_fallback":
            parse["intent"] = {"name": "faq", "confidence": 0.9}
        return {**parse, "text": text}


async def said(dm: DialogueManager, cid: str, text: str) -> list[str | None]:
    return [m.text for m in await dm.handle(cid, text)]


async def user_turns(dm: DialogueManager, cid: str) -> list[dict[str, Any]]:
    page = await dm.transcripts.read(cid, limit=100)
    return [e.data for e in page.events if e.type == "user"]


async def test_markup_is_read_as_its_text_and_kept_as_typed(make_dm) -> None:
    parser = SureOfAnything()
    dm = make_dm(parser=parser)
    typed = "<b>hi there</b>"
    assert await said(dm, "a", typed) == ["Hello! How can I help?"]
    assert parser.read == ["   hi there    "]  # offsets kept for the entities found in it
    (user,) = await user_turns(dm, "a")
    assert user["text"] == typed and user["parse"]["text"] == typed


async def test_markup_or_code_alone_is_not_understood_nor_suggested_about(make_dm) -> None:
    # The FAQ suggests its payment entries for anything with "pay" in it, and the model is
    # sure of anything: read as typed, each got a guess or "Did you mean …?".
    parser = SureOfAnything()
    dm = make_dm(parser=parser)
    for i, typed in enumerate(
        ("<script>pay(1)</script>", "SELECT * FROM payments;", "<!-- pay -->", "pay(1)")
    ):
        replies = await dm.handle(f"c{i}", typed)
        assert [m.text for m in replies] == ["Sorry, could you say that differently?"], typed
        assert not any(m.buttons for m in replies), typed
        (user,) = await user_turns(dm, f"c{i}")
        assert user["text"] == typed and user["low_confidence"] is True
    assert parser.read == []


async def test_model_parse_searches_what_the_chat_searches(make_dm) -> None:
    # /model/parse asked the FAQ with the tags in: the answer the
    # chat gives to "<b>how long does shipping take?</b>" was missing there.
    faq = AskedFaq()
    dm = make_dm(parser=SureOfAnything(), faq=faq)
    typed = "<i>how long does shipping take?</i>"
    parsed = await dm.model_parse(typed)
    selected = parsed["response_selector"]["faq"]["response"]
    assert selected["intent_response_key"] == "faq/shipping_time"
    assert faq.asked == ["how long does shipping take?"]
