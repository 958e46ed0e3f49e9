"""What a user says while waiting for a person: greetings, yes and no, goodbye, stop."""

from __future__ import annotations

from bot.dialogue import builtin
from bot.dialogue.config import (
    DEFAULT_BYE_WHILE_WAITING_TEXT,
    DEFAULT_LEFT_QUEUE_TEXT,
    DEFAULT_NO_LONGER_WAITING_TEXT,
    DialogueConfig,
)
from bot.dialogue.messages import BotMessage
from bot.dialogue.turn import Turn
from bot.project import Domain


class Waiting:
    """Mixed into the dialogue manager, whose attributes these are."""

    domain: Domain
    config: DialogueConfig
    # Said while waiting, these are told where the user stands.
    _small_talk: set[str]
    # Whether the project has a way to say "I no longer want a person".
    _can_stop: bool

    async def _while_waiting(self, turn: Turn, intent: str | None) -> bool:
        """Handle a sure message of one of these intents in the agents' queue; True when
        the turn is done (the user may have left the queue, and the turn goes on)."""
        conversation = turn.conversation
        if conversation.handoff != "pending_human":
            return False
        if intent in self._small_talk or intent in self.config.handoff_intents:
            # "hello? anyone there?" in the queue got the welcome and its "Talk to a person"
            # (in a form on hold too: the user is not asked its question while waiting); a
            # "no" got the demo's goodbye, though the user stayed queued; "yes" was asked
            # what they would like to know; asking for a person again got "I'm connecting
            # you" once more, then "You're still in the queue".
            await builtin.handoff(turn, self.domain, f"user said {intent} while waiting")
            return True
        if intent in self.config.goodbye_intents:
            # "Bye" in the queue got the demo's "Have a great day!", then "You're still in
            # the queue". Leaving the queue on a goodbye lost the place of a user who meant
            # to come back ("I'll come back later" reads as one): it is kept, and they are
            # told the answer waits here and how to give the place up. A project with no
            # way to say so (no stop intent) leaves the queue on it, as the only way out.
            if self._can_stop:
                turn.say(BotMessage(text=DEFAULT_BYE_WHILE_WAITING_TEXT))
                return True
            turn.set_handoff("bot", "user said goodbye while waiting")
            turn.say(BotMessage(text=DEFAULT_NO_LONGER_WAITING_TEXT))
            return False
        if intent in self.config.stop_intents:
            # "Never mind, I don't need a person" was told "No problem" and left queued: an
            # agent would later take over a chat its user had left. In a form on hold the
            # form's own stop follows (the project's rule says what it stopped).
            turn.set_handoff("bot", "user no longer waits")
            if conversation.active_form is None:
                turn.say(BotMessage(text=DEFAULT_LEFT_QUEUE_TEXT))
                return True
            # "Okay, I've stopped the return" alone left the user unsure whether a person
            # would still come.
            turn.say(BotMessage(text=DEFAULT_NO_LONGER_WAITING_TEXT))
        return False
