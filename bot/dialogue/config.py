"""The dialogue manager's knobs, read from a project's config.yml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_FALLBACK_TEXT = "Sorry, I didn't quite understand that. Could you rephrase it?"
DEFAULT_OFFER_HUMAN_TEXT = "I'm still not sure what you mean. Would you like to talk to a person?"
DEFAULT_HANDOFF_TEXT = "I'm passing you to a member of our team. Someone will reply here shortly."
_QUEUED = (
    "You're in the queue for a member of our team, who will reply here as soon as one is free."
)
# Told to a user who asks again, greets or answers while waiting: how to leave the queue too
# ("never mind, I found it" read as unsure stayed in it, and nothing said how to leave).
DEFAULT_WAITING_TEXT = f'{_QUEUED} If you no longer need them, say "never mind".'
# Added to what the bot says to a user who waits for a person (an FAQ answer, say), so
# they know they still wait.
DEFAULT_STILL_WAITING_TEXT = "You're still in the queue for a member of our team."
# A form started while the user waits for a person is on hold until the person gives the
# conversation back (its answers would not be taken meanwhile).
DEFAULT_FORM_ON_HOLD_TEXT = f"{_QUEUED} After that I'll carry on where we left off."
# ... and one the user asks for while waiting: nothing was left off to carry on with.
DEFAULT_FORM_STARTED_ON_HOLD_TEXT = (
    f"{_QUEUED} They can help with this too, and if they hand the chat back to "
    "me, I'll take it from there."
)
# "Never mind" while waiting for a person: out of the agents' queue (in a form on hold, the
# first sentence, then what the form's stop says).
DEFAULT_NO_LONGER_WAITING_TEXT = "Okay, you're no longer waiting for a member of our team."
# What the bot does not understand while the user waits is most often for the person: the
# details of their problem ("it was supposed to come yesterday") got "Sorry, I didn't
# quite understand that".
DEFAULT_NOTED_TEXT = (
    "Thanks, that's noted for the member of our team, who will see it when they join. "
    f"{DEFAULT_STILL_WAITING_TEXT}"
)
# "Bye" while waiting: the place is kept (a user who will come back said it too), and
# they are told how to give it up.
DEFAULT_BYE_WHILE_WAITING_TEXT = (
    "You're still in the queue for a member of our team, who will reply here: you'll see "
    'the answer when you come back. If you no longer need them, say "never mind".'
)
DEFAULT_LEFT_QUEUE_TEXT = (
    f"{DEFAULT_NO_LONGER_WAITING_TEXT} Is there anything else I can help with?"
)
DEFAULT_REPHRASE_TEXT = "Okay. Please tell me in other words what you need."
DEFAULT_GO_ON_TEXT = "Okay. Is there anything else I can help with?"
# {language}: the project's. A project says it otherwise with an utter_other_language response.
DEFAULT_OTHER_LANGUAGE_TEXT = "Sorry, I can only chat in {language}. Could you write in {language}?"
DEFAULT_RELEASED_TEXT = "You're chatting with the assistant again. How can I help?"
# Released in the middle of a form: the form's question follows, not "How can I help?".
DEFAULT_RELEASED_IN_FORM_TEXT = "You're chatting with the assistant again."
DEFAULT_JOINED_TEXT = "A member of our team has joined the chat and will answer you here."
DEFAULT_TRANSFERRED_TEXT = "Another member of our team has taken over the chat."
DEFAULT_CLOSED_TEXT = "This chat has been closed. Write here again any time."
DEFAULT_FAQ_GONE_TEXT = (
    "Sorry, that answer is no longer available. Could you ask your question again?"
)
DEFAULT_SUGGEST_TEXT = "Did you mean one of these?"
DEFAULT_SUGGEST_ONE_TEXT = "Did you mean this?"
# Of one question of a message whose other questions were answered.
DEFAULT_SUGGEST_PART_TEXT = "About \u201c{part}\u201d: did you mean one of these?"
DEFAULT_SUGGEST_PART_ONE_TEXT = "About \u201c{part}\u201d: did you mean this?"
DEFAULT_PART_UNSURE_TEXT = "I'm not sure about \u201c{part}\u201d: could you ask it in other words?"
# Suggestions to someone waiting for a person: suggestions alone would read as if the request
# had been dropped (nothing can follow a message with buttons to say otherwise).
DEFAULT_SUGGEST_WAITING_TEXT = f"{DEFAULT_STILL_WAITING_TEXT} Meanwhile, did you mean one of these?"
DEFAULT_SUGGEST_ONE_WAITING_TEXT = f"{DEFAULT_STILL_WAITING_TEXT} Meanwhile, did you mean this?"
#: How many entries a "did you mean" offers at most.
MAX_SUGGESTIONS = 3
# Before starting a form or running a custom action on an unsure reading of the message.
DEFAULT_CONFIRM_TEXT = f"I'm not sure I understood. {DEFAULT_SUGGEST_ONE_TEXT}"
DEFAULT_CONFIRM_MANY_TEXT = f"I'm not sure I understood. {DEFAULT_SUGGEST_TEXT}"
DEFAULT_CHOOSE_TEXT = "Which one? Choose one of the buttons, or tell me in other words."
DEFAULT_STOPPED_TEXT = "Okay, I've stopped that."
DEFAULT_ERROR_TEXT = "Sorry, something went wrong on my side. Please try again in a moment."


@dataclass(frozen=True)
class DialogueConfig:
    """Thresholds and limits of turn handling.

    Attributes:
        nlu_threshold: below this intent confidence a message is treated as not understood
            (the NLU model's own calibrated ``nlu_fallback`` applies as well).
        handoff_after_fallbacks: consecutive misunderstandings before the bot asks for a human
            on its own; the one before it offers a human. 0: never on its own (a bot without
            agents asks to rephrase each time, as Rasa's fallback does).
        max_history_events: events kept in the live state (the transcript keeps all).
        max_actions_per_turn: a guard against rules that loop.
        handoff_min_confidence: a request for a person is acted on at this intent confidence
            or above; below it the message counts as not understood (the FAQ is tried, then
            the fallback offers a person). A question read as a request for a person at 0.39
            sent the user to the queue and an agent to a question the FAQ answers.
        faq_over_intent: an intent understood with less confidence than this, whose rule or
            story gives a canned reply, yields to a FAQ answer that is more confident than it
            (not a request for a person or to stop). The demo's NLU reads its own intents at
            0.78-0.98 and misreads others at 0.20-0.64, where a story's canned reply went out
            although the FAQ answered the question at 0.99. Above it, such a reply yields
            only to an entry that has the message itself as a phrasing (staff wrote this
            question into the FAQ). 0 turns all of this off, for every intent.
        faq_over_action: the same for an intent that would start a form or run a custom
            action: a lower bar, as that is the bot's own work. Never with entities.
        confirm_action: an intent read with less confidence than this, whose rule or story
            would start a form or run a custom action, is asked about first ("Did you mean
            this?", a button for it and the FAQ's suggestions for the message): the demo's
            NLU read "delivery" as a request to track an order at 0.24, over its own
            threshold, and asked for an order number. Not with entities, in a form or while
            waiting for a person; 0 turns this off. The intents that would run the same
            action count together: one that does the same work either way is not asked
            about. ``confirm_faq_options``: how many of the FAQ's suggestions join the
            question.
        form_min_confidence: while a form asks its question, a message is acted on as
            something other than the answer (a question, a request, an interruption) only at
            this confidence or above; below it, a free-text answer is taken as the answer and
            anything else as not understood (the form asks again). The demo's NLU read "the
            order arrived late", a return's reason, as tracking an order at 0.25 and gave the
            order's status; "delivery" typed for the order number was also read as that, and
            the user was asked for an order number twice. A yes or no (``affirm_intents``,
            ``deny_intents``) is judged as any intent: it answers the form or the offer of a
            person.
        stop_min_confidence: in a form or while waiting for a person, a request to stop is
            acted on at this confidence or above;
            below it the message counts as not understood, and a form asking for free text
            takes it as the answer. Stopping wrongly loses the user's answers: with a stop
            intent being added to the demo, its NLU read "changed my mind" and "I don't want
            it anymore", reasons for a return, as stops at 0.22 and 0.40, over its own
            threshold (0.20-0.27), and the return ended; requests to stop came at 0.75-0.97.
        language: the project's language (config.yml's ``language``), named to a user who
            writes in another.
        more_questions: how many other questions of one message the FAQ answers after the
            turn's own reply ("where is NW-48213 and can I change my delivery address": the
            second question was lost); 0 answers only what the message is read as.
    """

    nlu_threshold: float = 0.3
    handoff_after_fallbacks: int = 3
    max_history_events: int = 200
    max_actions_per_turn: int = 10
    handoff_min_confidence: float = 0.5
    faq_over_intent: float = 0.7
    faq_over_action: float = 0.5
    confirm_action: float = 0.5
    confirm_faq_options: int = 2
    stop_min_confidence: float = 0.5
    form_min_confidence: float = 0.5
    handoff_intents: tuple[str, ...] = ("human_handoff", "handoff", "request_human")
    stop_intents: tuple[str, ...] = ("stop", "cancel")
    # A typed "yes" right after the bot offered a person accepts the offer.
    affirm_intents: tuple[str, ...] = ("affirm",)
    # A greeting while waiting for a person is told where they stand, not welcomed anew.
    greet_intents: tuple[str, ...] = ("greet",)
    # A goodbye while waiting for a person is told they keep their place, and how to leave.
    goodbye_intents: tuple[str, ...] = ("goodbye",)
    # A typed or clicked "no" to that offer: the user will rephrase.
    deny_intents: tuple[str, ...] = ("deny",)
    faq_intents: tuple[str, ...] = ("faq",)
    language: str = "en"
    more_questions: int = 2

    @property
    def before_offer(self) -> int:
        """The fallback count whose next step offers a person."""
        return max(0, self.handoff_after_fallbacks - 2)


def is_low(intent: dict[str, Any], config: DialogueConfig, *, careful_stop: bool) -> bool:
    """Whether a parse counts as not understood; a request for a person, or to stop where
    stopping costs something (``careful_stop``: in a form, or waiting for a person), needs
    more confidence than other intents, as acting on it wrongly costs an agent's time, the
    user's answers to the form or their place in the queue (elsewhere a project's own stop or
    cancel intent is judged as any other, as in Rasa)."""
    name = intent.get("name")
    confidence = float(intent.get("confidence") or 0.0)
    if name in config.handoff_intents:
        return confidence < max(config.nlu_threshold, config.handoff_min_confidence)
    if careful_stop and name in config.stop_intents:
        return confidence < max(config.nlu_threshold, config.stop_min_confidence)
    return name in (None, "nlu_fallback") or confidence < config.nlu_threshold
