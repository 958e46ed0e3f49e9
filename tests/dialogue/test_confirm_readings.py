"""An unsure intent is asked about only where asking makes a difference to what runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.dialogue.config import DEFAULT_CONFIRM_TEXT
from bot.project import Project, Rule, Step


class RankingParser:
    """Reads each text as its table says: the intents and confidences of its ranking."""

    def __init__(self, table: dict[str, list[tuple[str, float]]]) -> None:
        self.table = table

    async def parse(self, text: str) -> dict[str, Any]:
        ranking = [{"name": n, "confidence": c} for n, c in self.table[text]]
        return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}


async def test_readings_that_would_run_the_same_action_count_together(
    make_dm, project: Project
) -> None:
    # Right after an order's status the demo disputes it on "no" and on "it hasn't come"
    # alike; "but I don't have it yet", read as the second at 0.50 and the first at 0.32,
    # got "Did you mean this? [Track my order]".
    after_greeting = [
        Rule(
            f"{intent} after the greeting",
            (
                Step("action", "utter_greet"),
                Step("intent", intent),
                Step("action", "action_check_order"),
            ),
        )
        for intent in ("deny", "check_order")
    ]
    table = {
        "hi there": [("greet", 0.95)],
        "not here yet": [("check_order", 0.45), ("deny", 0.3), ("greet", 0.1)],
        "my thing?": [("check_order", 0.45), ("greet", 0.4), ("deny", 0.04)],
    }
    dm = make_dm(
        project=replace(project, rules=(*project.rules, *after_greeting)),
        parser=RankingParser(table),
    )
    await dm.handle("same", "hi there")
    replies = await dm.handle("same", "not here yet")
    assert [m.text for m in replies] == ["Order None is unknown."]
    # where the readings would do different things, the question stands
    await dm.handle("apart", "hi there")
    assert [m.text for m in await dm.handle("apart", "my thing?")] == [DEFAULT_CONFIRM_TEXT]
