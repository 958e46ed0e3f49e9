"""Predicting the next action from rules and stories by matching the conversation's tail.

The conversation and every rule or story are read as token sequences: ``("intent", name)``,
``("action", name)``, ``("active_loop", name | None)``. Slot steps are conditions, not tokens;
so are a step's entities, which the matching user message must carry.
A rule predicts when its steps so far equal the end of the conversation (from the rule's first
step); a story predicts when any stretch of it that includes the latest user intent does. Rules
win over stories; among each, the longest match wins, then the rule whose condition asks more.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.project import Rule, Step, Story

if TYPE_CHECKING:
    from bot.state import Conversation

Token = tuple[str, str | None]
LISTEN = "action_listen"
MAX_OR_EXPANSION = 16
# Actions whose events are bookkeeping, not part of what a story describes.
INVISIBLE_ACTIONS = frozenset({LISTEN, "action_session_start"})


@dataclass(frozen=True)
class _Pattern:
    tokens: tuple[Token, ...]
    source: str  # "rule" or "story"
    name: str
    condition: tuple[Step, ...] = ()
    conversation_start: bool = False

    @cached_property
    def loops(self) -> list[str | None]:
        return _loop_at(self.tokens, None)

    @cached_property
    def conditions(self) -> int:
        """How many things the rule's condition asks: each slot counts, so a rule on
        ``requested_slot`` and another slot beats one on ``requested_slot`` alone."""
        return sum(len(step.slots) if step.kind == "slot_was_set" else 1 for step in self.condition)


class _UserToken(tuple):  # type: ignore[type-arg]
    """An intent token that also knows entity names: those a user message carried, or those
    a story step asks for. Equality is the plain token's; entities are checked apart."""

    entities: frozenset[str] = frozenset()

    def __new__(cls, name: str | None, entities: Iterable[str]) -> _UserToken:
        token = super().__new__(cls, ("intent", name))
        token.entities = frozenset(entities)
        return token


def _step_variants(step: Step) -> list[list[Token]]:
    if step.kind == "intent" and step.name:
        # A story's `inform` with `order_number` continues only a message that has one (as
        # Rasa's featurised entities); any `inform` did, so "running shoes" got order status.
        wanted = [str(e["entity"]) for e in step.entities if e.get("entity")]
        return [[_UserToken(step.name, wanted) if wanted else ("intent", step.name)]]
    if step.kind == "action" and step.name:
        return [[("action", step.name)]]
    if step.kind == "active_loop":
        return [[("active_loop", step.name)]]
    if step.kind == "or":
        return [tok for alt in step.alternatives for tok in _step_variants(alt)] or [[]]
    return [[]]  # slot_was_set, checkpoints, bot text: not matched


def _expand(steps: Sequence[Step]) -> list[tuple[Token, ...]]:
    options = [_step_variants(s) for s in steps]
    sequences = []
    for combo in itertools.islice(itertools.product(*options), MAX_OR_EXPANSION):
        sequences.append(tuple(t for part in combo for t in part))
    return sequences


def conversation_tokens(events: Iterable[Mapping[str, Any]]) -> list[Token]:
    """Tokens of the current session, from Rasa-format events (as Rasa's applied events,
    nothing before a restart counts: a form ended by a custom action's ``Restarted()`` read
    as a form completed, and its submit rule ran)."""
    return [token for _, token in _tokens_at(events)]


def _tokens_at(events: Iterable[Mapping[str, Any]]) -> list[tuple[int, Token]]:
    """Each token of the current session with the index of its event."""
    found: list[tuple[int, Token]] = []
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            found = []
        elif kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            names = [str(e.get("entity")) for e in parse.get("entities") or () if e.get("entity")]
            found.append((index, _UserToken(intent.get("name"), names)))
        elif kind == "action" and event.get("name") not in INVISIBLE_ACTIONS:
            found.append((index, ("action", event.get("name"))))
        elif kind == "active_loop":
            found.append((index, ("active_loop", event.get("name"))))
    return found


class SlotHistory:
    """The slots as they stood where each token's step began: before an action or a form's
    step, and for a message, with the slots it filled (read as Rasa reads a rule's
    condition: at its first step). The current slots after the last token.

    A rule on ``requested_slot`` whose first action ends the form (``action_deactivate_loop``)
    stopped at that action: its later steps saw the question no longer asked."""

    def __init__(self, events: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]) -> None:
        self.events = events
        self.slots = slots

    @cached_property
    def marks(self) -> list[tuple[int, Token]]:
        return _tokens_at(self.events)

    def at(self, position: int) -> Mapping[str, Any]:
        marks = self.marks
        if position < len(marks) and marks[position][1][0] != "intent":
            end = marks[position][0]
        else:
            end = marks[position + 1][0] if position + 1 < len(marks) else len(self.events)
        later = {str(e.get("name")) for e in self.events[end:] if e.get("event") == "slot"}
        if not later:
            return self.slots
        before: dict[str, Any] = dict.fromkeys(later)  # never set since the session began
        for event in self.events[:end]:
            if event.get("event") == "slot" and event.get("name") in later:
                before[str(event.get("name"))] = event.get("value")
        return {**self.slots, **before}


def _history(conversation: Conversation) -> SlotHistory:
    return SlotHistory(conversation.events, conversation.tracker_slots)


def _slot_matches(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected) == bool(actual)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    # Text slots are featurised as "set or not" in Rasa; a value in a story only means "set".
    return actual is not None


class Policy:
    """Rules and stories compiled once; ``predict`` is called after every action."""

    def __init__(self, rules: Sequence[Rule], stories: Sequence[Story]) -> None:
        self.patterns: list[_Pattern] = []
        for rule in rules:
            for tokens in _expand(rule.steps):
                self.patterns.append(
                    _Pattern(tokens, "rule", rule.name, rule.condition, rule.conversation_start)
                )
        for story in stories:
            for tokens in _expand(story.steps):
                self.patterns.append(_Pattern(tokens, "story", story.name))

    def _openings(self) -> Iterable[tuple[str, str]]:
        """``(intent, action)`` of each unconditional rule that starts with an intent and an
        action."""
        for pattern in self.patterns:
            if pattern.source != "rule" or pattern.condition or len(pattern.tokens) < 2:
                continue
            (kind, intent), (next_kind, action) = pattern.tokens[0], pattern.tokens[1]
            if kind == "intent" and next_kind == "action" and intent and action:
                yield intent, action

    def answered_intents(self, forms: Collection[str]) -> set[str]:
        """Intents that an unconditional rule answers on its own (its first step is the intent,
        its second an action that is not a form): questions in their own right."""
        return {intent for intent, action in self._openings() if action not in forms}

    def intents_answered_by(self, actions: Collection[str]) -> set[str]:
        """Intents whose unconditional rule answers them with one of ``actions`` first."""
        return {intent for intent, action in self._openings() if action in actions}

    def form_starters(self, forms: Collection[str]) -> dict[str, set[str]]:
        """Intents whose unconditional rule starts a form: ``{intent: {form, ...}}``."""
        found: dict[str, set[str]] = {}
        for intent, action in self._openings():
            if action in forms:
                found.setdefault(intent, set()).add(action)
        return found

    def next_action(self, conversation: Conversation) -> str | None:
        """What the conversation runs next: its follow-up action (set by an action), else
        what the rules and stories predict."""
        return conversation.followup_action or self.predict(
            conversation_tokens(conversation.events),
            slots=_history(conversation),
            active_loop=conversation.active_form,
        )

    def next_action_if(
        self, conversation: Conversation, intent: str, entities: Iterable[str] = ()
    ) -> str | None:
        """What would run next were the user's next message ``intent`` with ``entities``
        (names): a reading weighed before it is taken."""
        tokens = [*conversation_tokens(conversation.events), _UserToken(intent, entities)]
        return self.predict(
            tokens, slots=_history(conversation), active_loop=conversation.active_form
        )

    def next_action_as(self, conversation: Conversation, intent: str) -> str | None:
        """What the conversation would run next had its latest message been read as
        ``intent`` (with the same entities); None where the latest event is no message."""
        if conversation.followup_action:
            return conversation.followup_action
        tokens = conversation_tokens(conversation.events)
        if not tokens or tokens[-1][0] != "intent":
            return None
        entities: frozenset[str] = getattr(tokens[-1], "entities", frozenset())
        return self.predict(
            [*tokens[:-1], _UserToken(intent, entities)],
            slots=_history(conversation),
            active_loop=conversation.active_form,
        )

    def predict(
        self,
        tokens: Sequence[Token],
        *,
        slots: Mapping[str, Any] | SlotHistory,
        active_loop: str | None,
    ) -> str | None:
        """The next action, or None when no rule or story knows what comes next."""
        # A story's match must reach back to the latest user message, or to a form's end.
        anchor = max(
            (i for i, t in enumerate(tokens) if t[0] == "intent" or t == ("active_loop", None)),
            default=-1,
        )
        has_loop_tokens = any(t[0] == "active_loop" for t in tokens)
        loops = _loop_at(tokens, None if has_loop_tokens else active_loop)
        best: tuple[int, int, int, str] | None = None  # (is_rule, length, conditions, action)
        for pattern in self.patterns:
            found = self._match(pattern, tokens, anchor, slots, loops)
            if found is not None:
                key = (
                    int(pattern.source == "rule"),
                    found[0],
                    pattern.conditions,
                    found[1],
                )
                if best is None or key[:3] > best[:3]:
                    best = key
        return best[3] if best else None

    def _match(
        self,
        pattern: _Pattern,
        tokens: Sequence[Token],
        anchor: int,
        slots: Mapping[str, Any] | SlotHistory,
        loops: Sequence[str | None],
    ) -> tuple[int, str] | None:
        seq = pattern.tokens
        best: tuple[int, str] | None = None
        for k in range(1, len(seq)):
            kind, action = seq[k]
            if kind != "action" or action is None:
                continue
            starts = [0] if pattern.source == "rule" else list(range(k))
            for j in starts:
                length = k - j
                if length > len(tokens) or tuple(tokens[len(tokens) - length :]) != seq[j:k]:
                    continue
                start = len(tokens) - length
                if not _entities_given(seq[j:k], tokens[start:]):
                    continue
                if pattern.source == "story" and start > anchor:
                    continue
                if pattern.conversation_start and start != 0:
                    continue
                if not self._conditions_hold(pattern, slots, start, loops[start]):
                    continue
                if pattern.source == "story" and pattern.loops[j] != loops[start]:
                    continue  # a story step inside a form does not apply outside it
                if best is None or length > best[0]:
                    best = (length, action)
                break  # smallest j is the longest match for this k
        return best

    @staticmethod
    def _conditions_hold(
        pattern: _Pattern,
        history: Mapping[str, Any] | SlotHistory,
        start: int,
        loop_at_start: str | None,
    ) -> bool:
        """A rule's conditions are read as they stood where its steps begin."""
        slots: Mapping[str, Any] = {}
        if any(step.kind == "slot_was_set" for step in pattern.condition):
            slots = history.at(start) if isinstance(history, SlotHistory) else history
        for step in pattern.condition:
            if step.kind == "active_loop" and step.name != loop_at_start:
                return False
            if step.kind == "slot_was_set":
                for name, value in step.slots.items():
                    if name == "requested_slot":
                        # categorical in Rasa: which question the form asks is what counts
                        if value != slots.get(name):
                            return False
                    elif not _slot_matches(value, slots.get(name)):
                        return False
        return True


def _entities_given(steps: Sequence[Token], tokens: Sequence[Token]) -> bool:
    """Whether each user message carries the entities its story step names."""
    for step, token in zip(steps, tokens, strict=True):
        wanted: frozenset[str] = getattr(step, "entities", frozenset())
        if wanted and not wanted <= getattr(token, "entities", frozenset()):
            return False
    return True


def _loop_at(tokens: Sequence[Token], initial: str | None) -> list[str | None]:
    """The active loop before each token (and after the last), replayed from the tokens."""
    loops: list[str | None] = []
    current = initial
    for kind, name in tokens:
        loops.append(current)
        if kind == "active_loop":
            current = name
    loops.append(current)
    return loops
