"""``deskbot check``: every problem and unsupported construct of a project, with file and line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.actions.runner import server_actions, shown_url
from bot.project.domain import VALIDATE_SLOT_MAPPINGS, is_external_intent, placeholders
from bot.project.nlu_examples import NluExample, read_nlu
from bot.project.project import Project, load_project
from bot.project.source import ProjectError, line_of, read_yaml
from bot.project.stories import Step
from knowledge import FaqDraft, ImportValidationError, KnowledgeError, same_words
from knowledge import read_file as read_faq_file

Severity = Literal["error", "warning"]

DEFAULT_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
DEFAULT_ACTIONS = frozenset({
    "action_listen", "action_restart", "action_session_start", "action_default_fallback",
    "action_deactivate_loop", "action_revert_fallback_events", "action_default_ask_affirmation",
    "action_default_ask_rephrase", "action_two_stage_fallback", "action_unlikely_intent",
    "action_back", "action_extract_slots",
})  # fmt: skip
# Rasa's own loop, which its documented fallback rule names as an active_loop: deskbot runs
# its own fallback for the action, and never leaves such a loop active.
TWO_STAGE_FALLBACK = "action_two_stage_fallback"
# Actions deskbot's dialogue manager runs itself, and what they do.
BUILTIN_DOES = {
    "action_faq": "it answers from the FAQ base",
    "action_handoff": "it hands the conversation to a person: it joins the agents' queue",
}
BUILTIN_ACTIONS = frozenset(BUILTIN_DOES)
# A project's own action of one of these names runs, then deskbot's handoff to a person.
HANDOFF_ACTIONS = frozenset({"action_handoff", "action_human_handoff"})


def is_custom_action(name: str) -> bool:
    """An action the project's code (or its action server) must provide."""
    return not name.startswith("utter_") and name not in BUILTIN_ACTIONS | DEFAULT_ACTIONS


# What Rasa 2.x/3.x domains may hold (Rasa's schema refuses anything else).
DOMAIN_KEYS = frozenset({
    "version", "intents", "entities", "slots", "responses", "templates", "forms", "actions",
    "session_config", "config", "e2e_actions",
})  # fmt: skip
SLOT_KEYS = frozenset({
    "type", "mappings", "initial_value", "influence_conversation", "values", "min_value",
    "max_value", "auto_fill",
})  # fmt: skip
MAPPING_KEYS = frozenset({
    "type", "entity", "role", "group", "intent", "not_intent", "value", "action",
    "conditions",
})  # fmt: skip

# Rasa's socket.io channel settings deskbot's channel has fixed (credentials.yml).
SOCKETIO_DEFAULTS = {
    "user_message_evt": "user_uttered",
    "bot_message_evt": "bot_uttered",
    "socketio_path": "/socket.io",
}

# Slots every domain has without declaring them.
DEFAULT_SLOTS = frozenset({"requested_slot", "session_started_metadata"})


@dataclass(frozen=True, order=True)
class Problem:
    """One finding; ``line`` 0 when it concerns a whole file."""

    file: str
    line: int
    severity: Severity = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


def check_project(path: Path | str) -> list[Problem]:
    """Check a project folder; problems come sorted by file and line.

    A project that cannot be read at all gives one error naming the file and line.
    """
    try:
        project = load_project(path)
    except ProjectError as error:
        return [Problem(error.file, error.line, "error", error.detail)]
    return sorted(_Checker(project).run())


class _Checker:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.domain = project.domain
        self.problems: list[Problem] = []
        # NLU examples by their words (case and punctuation aside), the first of each
        self.examples: dict[str, NluExample] = {}

    def add(self, where: tuple[str, int], severity: Severity, message: str) -> None:
        self.problems.append(Problem(where[0], where[1], severity, message))

    def at(self, key: str) -> tuple[str, int]:
        return self.domain.lines.get(key, (str(self.project.domain_files[0]), 0))

    def run(self) -> list[Problem]:
        for note in self.project.config.notes:
            self.add((note.file, note.line), "warning", note.message)
        for path in sorted((self.project.root / "data").rglob("*.md")):
            self.add((str(path), 0), "warning", "Rasa 1.x Markdown data is not supported")
        if (self.project.root / "credentials.yml").is_file():
            self.check_credentials(self.project.root / "credentials.yml")
        self.check_nlu()
        for path in self.project.faq_files:
            self.check_faq(path)
        self.check_slots()
        self.check_forms()
        self.check_responses()
        self.check_actions()
        for path in self.project.domain_files:
            self.check_domain_keys(path)
        for rule in self.project.rules:
            self.check_steps(rule.file, rule.condition, f"rule {rule.name!r} condition")
            self.check_steps(rule.file, rule.steps, f"rule {rule.name!r}")
            if not rule.wait_for_user_input:
                self.add((rule.file, rule.line), "warning", f"rule {rule.name!r}: "
                         "wait_for_user_input is not supported; after a rule's last action "
                         "deskbot goes on with whatever rule or story matches, or "
                         "listens")  # fmt: skip
        for story in self.project.stories:
            self.check_steps(story.file, story.steps, f"story {story.name!r}")
        for test in self.project.test_stories:
            self.check_steps(test.file, test.steps, f"test story {test.name!r}", test=True)
        return self.problems

    # -- names -----------------------------------------------------------------------------
    def known_intent(self, name: str) -> bool:
        base = name.split("/", 1)[0]
        return name in self.domain.intents or base in self.domain.intents or name in DEFAULT_INTENTS

    def known_slot(self, name: str) -> bool:
        return name in self.domain.slots or name in DEFAULT_SLOTS

    def has_response(self, name: str) -> bool:
        """``utter_faq`` has a response when retrieval responses ``utter_faq/x`` exist."""
        if name in self.domain.responses:
            return True
        return any(r.startswith(name + "/") for r in self.domain.responses)

    def known_action(self, name: str) -> bool:
        if self.has_response(name) or name in self.domain.forms:
            return True
        if name in DEFAULT_ACTIONS or name in BUILTIN_ACTIONS:
            return True
        return name in self.domain.actions and not name.startswith("utter_")

    # -- nlu -------------------------------------------------------------------------------
    def check_nlu(self) -> None:
        seen = self.examples
        trained: set[str] = set()
        for path in self.project.nlu_files:
            items, examples = read_nlu(path)
            for item in items:
                if item.kind == "unknown":
                    self.add((item.file, item.line), "warning", "nlu item is not an intent, "
                             "synonym, regex or lookup; ignored")  # fmt: skip
                if item.kind == "intent":
                    trained.add(item.name.split("/", 1)[0])
                    self.check_nlu_intent(item.name, (item.file, item.line))
            for example in examples:
                self.check_example(example, seen)
        for name in self.domain.intents:
            if name not in trained and name not in DEFAULT_INTENTS and not is_external_intent(name):
                self.add(self.at(f"intent:{name}"), "warning", f"intent {name} has no examples")

    def check_nlu_intent(self, name: str, where: tuple[str, int]) -> None:
        if "+" in name:
            self.add(where, "warning", f"multi-intent {name} is not supported")
        elif not self.known_intent(name):
            self.add(where, "warning", f"intent {name} is not in the domain; add it there")

    def check_example(self, example: NluExample, seen: dict[str, NluExample]) -> None:
        where = (example.file, example.line)
        for entity in example.entities:
            if entity not in self.domain.entities:
                self.add(where, "warning", f"entity {entity!r} is not in the domain")
        first = seen.setdefault(_said(example.text), example)
        if first.intent != example.intent:
            self.add(where, "warning", f"example {example.text!r} of {example.intent} is also "
                     f"an example of {first.intent} ({first.file}:{first.line})")  # fmt: skip

    def check_faq(self, path: Path) -> None:
        """What the knowledge importer says of an FAQ file (an unknown field was found only
        when a server seeded a base from it), at the line of the entry it names."""
        entries = None
        if path.suffix in (".yml", ".yaml"):
            try:
                entries = read_yaml(path)
            except ProjectError as error:
                self.add((error.file, error.line), "error", error.detail)
                return
            if isinstance(entries, dict) and ("nlu" in entries or "responses" in entries):
                return  # Rasa retrieval intents; the knowledge package reads those too
        try:
            drafts = read_faq_file(path)
        except ImportValidationError as error:
            for row in error.errors:
                line = row.row if row.unit == "line" else 1
                if isinstance(entries, list) and row.unit == "row" and row.row > 0:
                    line = line_of(entries, row.row - 1)
                self.add((str(path), line), "error", str(row))
        except KnowledgeError as error:
            self.add((str(path), 1), "error", str(error))
        else:
            self.check_faq_phrasings(path, drafts, entries)

    def check_faq_phrasings(self, path: Path, drafts: list[FaqDraft], entries: Any) -> None:
        """A phrasing that is also an NLU example of another intent is the FAQ's: a
        message that is an entry's own phrasing gets its answer, whatever the intent's
        rule would do (a form it starts does not start for that message)."""
        faq = {"faq", *self.domain.retrieval_intents}
        for number, draft in enumerate(drafts):
            for text in (draft.question, *draft.alternatives):
                example = self.examples.get(_said(text))
                if example is None or example.intent.split("/", 1)[0] in faq:
                    continue
                line = line_of(entries, number) if isinstance(entries, list) else 1
                self.add((str(path), line), "warning", f"{text!r} of FAQ entry "
                         f"{draft.external_key} is also an example of {example.intent} "
                         f"({example.file}:{example.line}): the FAQ answers it, not "
                         f"{example.intent}'s rule; keep it in one of them")  # fmt: skip

    def check_credentials(self, path: Path) -> None:
        """Rasa's channel settings: deskbot serves REST and socket.io with Rasa's defaults
        and reads no credentials.yml, so what would behave otherwise is named."""
        try:
            data = read_yaml(path)
        except ProjectError as error:
            self.add((error.file, error.line), "warning", f"{error.detail} (not read anyway)")
            return
        file = str(path)
        for channel, settings in data.items() if isinstance(data, dict) else ():
            where = (file, line_of(data, channel))
            if channel == "socketio" and isinstance(settings, dict):
                for key, default in SOCKETIO_DEFAULTS.items():
                    if str(settings.get(key, default)).strip("/") != default.strip("/"):
                        self.add(where, "warning", f"socketio {key}: {settings[key]!r} is not "
                                 f"used; deskbot's socket.io channel uses {default!r}")  # fmt: skip
            elif channel not in ("rest", "socketio", "rasa"):
                self.add(where, "warning", f"channel {channel} is not supported; deskbot "
                         "serves the REST and socket.io channels")  # fmt: skip

    # -- domain ----------------------------------------------------------------------------
    def check_domain_keys(self, path: Path) -> None:
        """Keys Rasa's schema would refuse, named: a typo (``slot:``) was dropped silently
        and surfaced as misleading errors elsewhere ("form requires unknown slot")."""
        try:
            data = read_yaml(path)
        except ProjectError:
            return  # loading the project reported it already
        if not isinstance(data, dict):
            return
        file = str(path)
        for key in data:
            if key not in DOMAIN_KEYS:
                self.add((file, line_of(data, key)), "warning", f"unknown domain key {key!r} "
                         f"ignored; expected one of {', '.join(sorted(DOMAIN_KEYS))}")  # fmt: skip
        slots = data.get("slots")
        for name, body in slots.items() if isinstance(slots, dict) else ():
            for key in body if isinstance(body, dict) else ():
                if key not in SLOT_KEYS:
                    self.add((file, line_of(body, key)), "warning", f"slot {name}: unknown key "
                             f"{key!r} ignored")  # fmt: skip
            mappings = body.get("mappings") if isinstance(body, dict) else None
            for mapping in mappings if isinstance(mappings, list) else ():
                for key in mapping if isinstance(mapping, dict) else ():
                    if key not in MAPPING_KEYS:
                        self.add((file, line_of(mapping, key)), "warning", f"slot {name}: "
                                 f"unknown mapping key {key!r} ignored")  # fmt: skip

    def check_slots(self) -> None:
        for slot in self.domain.slots.values():
            where = self.at(f"slot:{slot.name}")
            for mapping in slot.mappings:
                if mapping.entity is not None and mapping.entity not in self.domain.entities:
                    self.add(where, "error", f"slot {slot.name} maps unknown entity "
                             f"{mapping.entity}")  # fmt: skip
                for intent in (*mapping.intent, *mapping.not_intent):
                    if not self.known_intent(intent):
                        self.add(where, "error", f"slot {slot.name} maps unknown intent {intent}")
                for condition in mapping.conditions:
                    loop = condition.active_loop
                    if loop is not None and loop not in self.domain.forms:
                        self.add(where, "error", f"slot {slot.name}: condition names unknown "
                                 f"form {loop}")  # fmt: skip
                    asked = condition.requested_slot
                    if asked is not None and not self.known_slot(asked):
                        self.add(where, "error", f"slot {slot.name}: condition names unknown "
                                 f"slot {asked}")  # fmt: skip

    def check_forms(self) -> None:
        for form in self.domain.forms.values():
            where = self.at(f"form:{form.name}")
            for name in form.required_slots:
                slot = self.domain.slots.get(name)
                if slot is None:
                    self.add(where, "error", f"form {form.name} requires unknown slot {name}")
                    continue
                if not slot.mappings:
                    self.add(where, "error", f"form {form.name}: slot {name} has no mappings; "
                             "add one (or a `custom` mapping a validate action fills)")  # fmt: skip
                asks = (f"utter_ask_{form.name}_{name}", f"utter_ask_{name}",
                        f"action_ask_{form.name}_{name}", f"action_ask_{name}")  # fmt: skip
                if not any(a in self.domain.responses or a in self.domain.actions for a in asks):
                    self.add(where, "error", f"form {form.name}: no utter_ask_{name} response "
                             f"to ask for slot {name}")  # fmt: skip
            for intent in form.ignored_intents:
                if not self.known_intent(intent):
                    self.add(where, "error", f"form {form.name} ignores unknown intent {intent}")

    def check_responses(self) -> None:
        for name, variants in self.domain.responses.items():
            where = self.at(f"response:{name}")
            for variant in variants:
                for slot in placeholders(variant.text or ""):
                    if slot not in self.domain.slots:
                        self.add(where, "warning", f"{name}: {{{slot}}} is not a slot; only a "
                                 "custom action passing it can fill it")  # fmt: skip

    def check_actions(self) -> None:
        config = self.project.config
        code = action_code(self.project.actions_dir)
        served = server_actions(config.action_endpoint) if config.action_endpoint else None
        shown = shown_url(config.action_endpoint) if config.action_endpoint else None
        if config.action_endpoint and served is None:
            config_file = (str(self.project.root / config.action_endpoint_file), 0)
            self.add(config_file, "warning", f"the action server at {shown} "
                     "did not answer: its actions are not checked")  # fmt: skip
        for name in self.domain.actions:
            where = self.at(f"action:{name}")
            own = names_action(code, name) or (served is not None and name in served)
            if name in HANDOFF_ACTIONS and own:
                self.add(where, "warning", f"{name}: deskbot hands the conversation to a "
                         "person after it (it joins the agents' queue), whatever your own "
                         f"{name} does first, and runs it on every way to a person (repeated "
                         "fallbacks, a yes to the offer of one); if yours hands over to "
                         "another bot, rename it")  # fmt: skip
            if name.startswith("utter_"):
                if not self.has_response(name):
                    self.add(where, "error", f"action {name} has no response; add one under "
                             "responses:")  # fmt: skip
                continue
            if not is_custom_action(name):
                continue
            if config.action_endpoint:
                if served is not None and name not in served:
                    self.add(where, "warning", f"custom action {name}: the action server at "
                             f"{shown} does not have it")  # fmt: skip
                continue
            if code is None:
                self.add(where, "warning", f"custom action {name}: no actions/ code and no "
                         "action_endpoint")  # fmt: skip
            elif not names_action(code, name):
                self.add(where, "warning", f"custom action {name} is not defined in actions/")

    # -- rules and stories -----------------------------------------------------------------
    def check_steps(self, file: str, steps: Iterable[Step], what: str, test: bool = False) -> None:
        for step in steps:
            self.check_step(file, step, what, test)

    def check_step(self, file: str, step: Step, what: str, test: bool) -> None:
        where = (file, step.line)
        if step.kind == "intent":
            if step.name is None:
                if test:
                    return  # a test turn whose intent the NLU model decides
                self.add(where, "warning", f"{what}: end-to-end user text without an intent is "
                         "not supported")  # fmt: skip
            elif "+" in step.name:
                self.add(where, "warning", f"{what}: multi-intent {step.name} is not supported")
            elif not self.known_intent(step.name):
                self.add(where, "error", f"{what}: unknown intent {step.name}")
            for entity in step.entities:
                if entity.get("entity") not in self.domain.entities:
                    self.add(where, "error", f"{what}: unknown entity {entity.get('entity')}")
        elif step.kind == "action" and step.name is not None:
            if step.name == "action_back":
                self.add(where, "warning", f"{what}: action_back is not supported (deskbot "
                         "does not take back the user's last message); the step does "
                         "nothing")  # fmt: skip
            if step.name.startswith("utter_") and not self.has_response(step.name):
                self.add(where, "error", f"{what}: {step.name} has no response")
            elif not self.known_action(step.name):
                self.add(where, "error", f"{what}: unknown action {step.name}; list it under "
                         "actions: in the domain")  # fmt: skip
        elif step.kind == "active_loop":
            if step.name == TWO_STAGE_FALLBACK:
                self.add(where, "warning", f"{what}: deskbot's own fallback runs for "
                         f"{TWO_STAGE_FALLBACK} (ask to rephrase, then offer a person; an "
                         "unsure intent is asked about first); this loop step is part of "
                         "it")  # fmt: skip
            elif step.name is not None and step.name not in self.domain.forms:
                self.add(where, "error", f"{what}: unknown form {step.name}")
        elif step.kind == "slot_was_set":
            for slot in step.slots:
                if not self.known_slot(slot):
                    self.add(where, "error", f"{what}: unknown slot {slot}")
        elif step.kind == "or":  # the dialogue policy expands the alternatives
            self.check_steps(file, step.alternatives, what, test)
        elif step.kind == "checkpoint":
            self.add(where, "warning", f"{what}: checkpoints are not supported")
        elif step.kind == "bot" and not test:
            self.add(where, "warning", f"{what}: end-to-end bot text is not supported")


def action_code(folder: Path | None) -> str | None:
    """The source text of a project's custom actions (a module or a package), or None."""
    if folder is None:
        return None
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.py"))
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def names_action(code: str | None, name: str) -> bool:
    """Whether the actions' source names ``name`` as a string (``def name(self)`` returns it),
    or, for ``action_validate_slot_mappings``, subclasses rasa-sdk's ``ValidationAction``,
    whose name that is unless it says another."""
    if code is None:
        return False
    if f'"{name}"' in code or f"'{name}'" in code:
        return True
    return name == VALIDATE_SLOT_MAPPINGS and _VALIDATION_ACTION.search(code) is not None


# "class Slots(ValidationAction)", "(forms.ValidationAction, Mixin)"; not FormValidationAction
_VALIDATION_ACTION = re.compile(r"^\s*class\s+\w+\s*\([^)]*\bValidationAction\b", re.MULTILINE)


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any problem is an error (``deskbot check`` then exits non-zero)."""
    return any(p.severity == "error" for p in problems)


def _said(text: str) -> str:
    """A text's words, as an entry's own phrasing is matched: case and punctuation aside."""
    return " ".join(same_words(text))
