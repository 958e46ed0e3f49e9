"""Rasa's fallback rules in a project brought from Rasa: read as deskbot's own fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.dialogue import DialogueManager
from bot.project import load_project
from bot.project.check import check_project
from tests.dialogue.conftest import FixedParser
from tests.dialogue.test_custom_mapping import _project_with, texts

# The rule Rasa 3's documentation gives for its two-stage fallback.
TWO_STAGE = {
    "rule": "two-stage fallback",
    "steps": [
        {"intent": "nlu_fallback"},
        {"action": "action_two_stage_fallback"},
        {"active_loop": "action_two_stage_fallback"},
    ],
}


async def test_rasa_s_two_stage_fallback_rule_is_deskbot_s_fallback(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    # `deskbot check` and `deskbot import rasa` refused it: "unknown form
    # action_two_stage_fallback".
    root = _project_with(tmp_path, {}, "", [TWO_STAGE])
    problems = check_project(root)
    assert [str(p) for p in problems if p.severity == "error"] == []
    (said,) = [p.message for p in problems if "action_two_stage_fallback" in p.message]
    assert "deskbot's own fallback" in said
    parser = FixedParser({"hi there": ("greet", 0.95)})  # "blorp": nlu_fallback
    with_rule = make_dm(project=load_project(root), parser=parser)
    without = make_dm(parser=parser)
    for text in ("blorp", "blorp", "hi there"):
        replies = texts(await with_rule.handle("f1", text))
        assert replies and replies == texts(await without.handle("f2", text)), text


async def test_a_bot_without_agents_never_hands_over_on_its_own(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    # A Rasa team without agents got "Would you like to talk to a person?" at the second
    # miss and the queue at the third, where Rasa's fallback says utter_default each time;
    # `handoff: after_fallbacks: 0` is that: the bot asks to rephrase, however often.
    root = _project_with(tmp_path, {}, "")
    (root / "config.yml").write_text(
        "deskbot:\n  language: en\n  handoff:\n    after_fallbacks: 0\n"
    )
    parser = FixedParser({"hi there": ("greet", 0.95)})  # "blorp": nlu_fallback
    dm = make_dm(project=load_project(root), parser=parser)
    first = texts(await dm.handle("n1", "blorp"))
    for _ in range(4):
        assert texts(await dm.handle("n1", "blorp")) == first
    state = await dm.store.load("n1")
    assert state is not None and state.handoff == "bot"
    assert texts(await dm.handle("n1", "hi there")) == ["Hello! How can I help?"]
    # The default offers a person at the second miss, as before.
    default = make_dm(parser=parser)
    await default.handle("n2", "blorp")
    (offer,) = await default.handle("n2", "blorp")
    assert [b["payload"] for b in offer.buttons] == ["/human_handoff", "/deny"]


async def test_without_agents_the_project_s_own_fallback_rule_answers_every_miss(
    make_dm: Callable[..., DialogueManager], tmp_path: Path
) -> None:
    # Found by a review: with after_fallbacks 0 the project's nlu_fallback rule answered
    # the first miss only, then the built-in rephrase; Rasa runs the rule every time.
    own = {"rule": "own fallback", "steps": [{"intent": "nlu_fallback"}, {"action": "utter_own"}]}
    added = {"responses": {"utter_own": [{"text": "I only know about returns."}]}}
    root = _project_with(tmp_path, added, "", [own])
    (root / "config.yml").write_text(
        "deskbot:\n  language: en\n  handoff:\n    after_fallbacks: 0\n"
    )
    dm = make_dm(project=load_project(root), parser=FixedParser({}))
    for _ in range(3):
        assert texts(await dm.handle("r1", "blorp")) == ["I only know about returns."]
