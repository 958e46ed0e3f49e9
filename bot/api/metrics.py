"""Prometheus metrics of one app, in a registry of its own (several apps may share a process)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.dialogue.ports import Parser
from bot.transcripts import TranscriptEvent

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


class TimedParser:
    """The NLU parser, timed into ``deskbot_nlu_seconds`` for chat turns and ``/model/parse``
    alike (it used to see only ``/model/parse``)."""

    def __init__(self, parser: Parser, histogram: Histogram) -> None:
        self.parser = parser
        self.histogram = histogram

    async def parse(self, text: str) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return await self.parser.parse(text)
        finally:
            self.histogram.observe(time.perf_counter() - started)


class ApiMetrics:
    """Turn and NLU latency, intents, FAQ decisions, fallbacks, handoffs and errors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.turn_latency = Histogram(
            "deskbot_turn_seconds",
            "Time to answer one user message",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.nlu_latency = Histogram(
            "deskbot_nlu_seconds", "Time to parse one text", buckets=LATENCY_BUCKETS, registry=r
        )
        self.intents = Counter(
            "deskbot_intents", "User messages by predicted intent", ["intent"], registry=r
        )
        self.faq = Counter(
            "deskbot_faq_decisions",
            "FAQ decisions: answer, suggest or none",
            ["decision"],
            registry=r,
        )
        self.fallbacks = Counter("deskbot_fallbacks", "Turns that fell back", registry=r)
        self.handoffs = Counter(
            "deskbot_handoffs", "Handoff state changes by target state", ["to"], registry=r
        )
        self.errors = Counter(
            "deskbot_errors", "Requests that failed, by error name", ["error"], registry=r
        )
        self.messages = Counter(
            "deskbot_user_messages", "User messages received by channel", ["channel"], registry=r
        )
        self.rate_limited = Counter(
            "deskbot_rate_limited", "User messages refused by a rate limit", ["scope"], registry=r
        )

    def observe_events(self, events: Sequence[TranscriptEvent]) -> None:
        """Count what one turn wrote to the transcript (intent, FAQ decision, fallback...)."""
        for event in events:
            if event.type == "user":
                parse = event.data.get("parse") or {}
                intent = (parse.get("intent") or {}).get("name")
                if intent:
                    self.intents.labels(intent=str(intent)).inc()
                faq = event.data.get("faq")
                if isinstance(faq, dict) and faq.get("decision"):
                    self.faq.labels(decision=str(faq["decision"])).inc()
                if intent in FALLBACK_INTENTS:
                    self.fallbacks.inc()
            elif event.type == "action" and event.data.get("name") == "action_default_fallback":
                self.fallbacks.inc()
            elif event.type == "handoff" and event.data.get("to"):
                self.handoffs.labels(to=str(event.data["to"])).inc()

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
