"""Reminders from custom actions, and intents triggered from outside, through the dialogue
manager (the test project's actions set and cancel them; its rule answers the reminder)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from bot.dialogue import BotMessage, DialogueManager
from bot.dialogue.tracker import apply_events
from bot.dialogue.turn import Turn
from bot.errors import InvalidInput, NotFoundError
from bot.reminders import fire_due_reminders
from bot.state import Conversation
from tests.dialogue.test_turns import texts, transcript

LATER = 600.0  # past every reminder the test project's actions set


def listening(dm: DialogueManager) -> list[tuple[str, str | None]]:
    heard: list[tuple[str, str | None]] = []

    async def sink(conversation_id: str, message: BotMessage) -> None:
        heard.append((conversation_id, message.text))

    dm.add_listener(sink)
    return heard


async def fire(dm: DialogueManager, *, now: float | None = None) -> None:
    """What the serving process's loop does, at a moment after the reminders are due."""
    for reminder in await dm.reminders.claim_due(now=now or time.time() + LATER):
        await dm.fire_reminder(reminder)


async def test_a_reminder_fires_its_intent_and_the_user_gets_the_reply(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", '/inform{"product": "vase"}')
    assert texts(await dm.handle("u", "/set_reminder")) == ["I'll remind you."]
    [reminder] = await dm.reminders.pending("u")
    assert (reminder.name, reminder.intent) == ("nudge", "EXTERNAL_reminder")
    assert reminder.entities == [{"entity": "product", "value": "vase"}]
    assert 50 < reminder.due_at - time.time() <= 60
    await fire(dm, now=time.time() + 1)  # not due yet
    assert heard == []
    await fire(dm)
    assert heard == [("u", "Still there? Your vase return is waiting.")]
    assert await dm.reminders.pending("u") == []
    state = await dm.store.load("u")
    assert state is not None
    assert state.latest_message["metadata"] == {"is_external": True}
    user = [e for e in state.events if e["event"] == "user"][-1]
    assert user["text"] == "EXTERNAL: EXTERNAL_reminder"
    kinds = [k for k, _ in await transcript(dm, "u")]
    assert kinds[kinds.index("trigger") :] == ["trigger", "action", "bot"]
    trigger = [d for k, d in await transcript(dm, "u") if k == "trigger"]
    assert trigger == [
        {
            "intent": "EXTERNAL_reminder",
            "entities": [{"entity": "product", "value": "vase"}],
            "reminder": "nudge",
        }
    ]
    await fire(dm, now=time.time() + 2 * LATER)  # fired once only
    assert len(heard) == 1


async def test_entities_of_a_reminder_fill_slots(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_lasting_reminder")
    await fire(dm)
    assert heard == [("u", "Still there? Your lamp return is waiting.")]
    state = await dm.store.load("u")
    assert state is not None and state.slots["product"] == "lamp"


async def test_a_user_message_cancels_reminders_unless_they_say_otherwise(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_lasting_reminder")
    await dm.handle("u", "/set_reminder")
    assert [r.name for r in await dm.reminders.pending("u")] == ["nudge", "lasting"]
    await dm.handle("u", "hi there")
    assert [r.name for r in await dm.reminders.pending("u")] == ["lasting"]
    await fire(dm)
    assert heard == [("u", "Still there? Your lamp return is waiting.")]


async def test_a_reminder_set_again_replaces_the_first(make_dm) -> None:
    dm = make_dm()
    await dm.handle("u", "/set_lasting_reminder")
    first = (await dm.reminders.pending("u"))[0]
    await dm.handle("u", "/set_lasting_reminder")
    [second] = await dm.reminders.pending("u")
    assert second.name == "lasting" and second.id != first.id


async def test_restart_and_cancel_events_drop_reminders(make_dm) -> None:
    dm = make_dm()
    await dm.handle("u", "/set_lasting_reminder")
    await dm.handle("u", "/cancel_reminders")  # ReminderCancelled(intent_name=...)
    assert await dm.reminders.pending("u") == []
    tracker = await dm.tracker("u")
    assert [e["event"] for e in tracker["events"] if "reminder" in e["event"]] == [
        "reminder",
        "cancel_reminder",
    ]
    await dm.handle("u", "/set_lasting_reminder")
    await dm.handle("u", "/restart")
    assert await dm.reminders.pending("u") == []
    await dm.handle("u", "/set_lasting_reminder")
    await dm.handle("u", "/restart_me")  # an action's Restarted()
    assert await dm.reminders.pending("u") == []
    # Rasa's tracker gives the events since the restart unless asked for all
    after = [e["event"] for e in (await dm.tracker("u"))["events"]]
    assert "restart" not in after and "user" not in after
    every = [e["event"] for e in (await dm.tracker("u", "ALL"))["events"]]
    assert every.count("user") == 2 and every.index("restart") > 0


async def test_a_reminder_cancelled_after_its_claim_does_not_fire(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_reminder")
    [claimed] = await dm.reminders.claim_due(now=time.time() + LATER)
    await dm.handle("u", "hi there")  # the user writes while it is about to fire
    before = await dm.store.load("u")
    assert await dm.fire_reminder(claimed) == []
    assert heard == []
    after = await dm.store.load("u")
    assert before is not None and after is not None and after.version == before.version


async def test_a_reminder_claimed_twice_fires_once(make_dm) -> None:
    # Two processes' claims of one reminder (the first one's claim lapsed meanwhile).
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_lasting_reminder")
    [first] = await dm.reminders.claim_due(now=time.time() + LATER)
    [second] = await dm.reminders.claim_due(now=time.time() + LATER + 120)
    replies = await asyncio.gather(dm.fire_reminder(first), dm.fire_reminder(second))
    assert sorted(len(r) for r in replies) == [0, 1]
    assert heard == [("u", "Still there? Your lamp return is waiting.")]


async def test_a_reminder_from_an_ended_session_is_dropped_unsaid(make_dm) -> None:
    # As in Rasa, a new session drops what the last one set: the user who left a return
    # half done two hours ago is not told it "is waiting" in a form long gone.
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/request_return")
    await dm.handle("u", "/set_lasting_reminder")
    state = await dm.store.load("u")
    assert state is not None and state.active_form == "return_form"
    state.last_activity_at -= 2 * 3600  # past the session's expiry (60 minutes)
    saved = await dm.store.save(state, state.version)
    await fire(dm, now=time.time() + 3 * 3600)
    assert heard == [] and await dm.reminders.pending("u") == []
    again = await dm.store.load("u")
    assert again is not None and again.version == saved.version  # nothing was written
    # a new session started by the user drops the old session's reminders as well
    await dm.handle("u", "/set_lasting_reminder")
    state = await dm.store.load("u")
    assert state is not None
    state.last_activity_at -= 2 * 3600
    await dm.store.save(state, state.version)
    await dm.handle("u", "hi there")
    assert await dm.reminders.pending("u") == []


async def test_a_user_cannot_pass_a_message_off_as_external(make_dm) -> None:
    dm = make_dm()
    await dm.handle("u", "hi there", {"is_external": True, "page": "/help"})
    state = await dm.store.load("u")
    assert state is not None and state.latest_message["metadata"] == {"page": "/help"}


async def test_the_bot_keeps_quiet_while_an_agent_has_the_conversation(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_lasting_reminder")
    await dm.takeover("u", "ann")
    heard.clear()
    await fire(dm)
    assert heard == []
    trigger = [d for k, d in await transcript(dm, "u") if k == "trigger"]
    assert trigger[0]["skipped"] == "not acted on: an agent has it"


async def test_a_reminder_of_a_forgotten_conversation_is_dropped(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_lasting_reminder")
    await dm.store.delete("u")  # its state expired
    await fire(dm)
    assert heard == [] and await dm.reminders.pending("u") == []
    assert await dm.store.load("u") is None  # not brought back to life by the reminder


async def test_trigger_intent_acts_without_a_user_message(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    replies = await dm.trigger_intent("t", "EXTERNAL_reminder", {"product": "rug"})
    assert texts(replies) == ["Still there? Your rug return is waiting."]
    assert heard == []  # returned only, unless asked to deliver
    await dm.trigger_intent(
        "t", "EXTERNAL_reminder", [{"entity": "product", "value": "mat"}], deliver=True
    )
    assert heard == [("t", "Still there? Your mat return is waiting.")]
    # an intent no rule or story follows: nothing is said (the user asked nothing)
    assert await dm.trigger_intent("t", "deny") == []
    with pytest.raises(NotFoundError, match="not in the domain"):
        await dm.trigger_intent("t", "EXTERNAL_unknown")
    with pytest.raises(InvalidInput, match="entities must"):
        await dm.trigger_intent("t", "EXTERNAL_reminder", ["rug"])


def test_a_malformed_reminder_is_reported_not_stored(project) -> None:
    turn = Turn(Conversation(id="m"))
    apply_events(turn, [{"event": "reminder", "intent": "x", "date_time": "soon"}], project.domain)
    assert turn.reminders == []
    [event] = turn.log
    assert event.type == "action" and "ISO 8601" in event.data["error"]


async def test_the_serving_loop_fires_due_reminders(make_dm) -> None:
    dm = make_dm()
    heard = listening(dm)
    await dm.handle("u", "/set_lasting_reminder")
    assert await fire_due_reminders(dm.reminders, dm) == 0  # not due yet
    [reminder] = await dm.reminders.pending("u")
    await dm.reminders.apply("u", [replace(reminder, due_at=0.0)])
    assert await fire_due_reminders(dm.reminders, dm) == 1
    assert heard == [("u", "Still there? Your lamp return is waiting.")]
