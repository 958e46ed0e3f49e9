"""``deskbot import rasa``: turn a Rasa 2.x/3.x project folder into a deskbot project.

Data, domain, tests and actions are copied with Rasa's formats kept. What changes: responses
of retrieval intents (``utter_faq/x``) become FAQ entries in ``faq/rasa_retrieval.yml`` (the
``faq/x`` examples are the question and its alternatives) and the ``utter_faq`` action becomes
deskbot's ``action_faq``; ``config.yml`` gains a ``deskbot:`` section mapped from Rasa's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.project.check import (
    BUILTIN_ACTIONS,
    DEFAULT_ACTIONS,
    Problem,
    action_code,
    check_project,
    names_action,
)
from bot.project.config import read_config
from bot.project.domain import retrieval_key
from bot.project.nlu_examples import NluExample, read_nlu
from bot.project.project import Project, find_actions, find_domain, load_project
from bot.project.source import ProjectError, read_yaml

FAQ_FILE = "faq/rasa_retrieval.yml"
_COPIED_SUFFIXES = (".yml", ".yaml", ".txt", ".json", ".csv")


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote: counts by kind, custom actions, and the check of the result."""

    out: Path
    counts: dict[str, int]
    custom_actions: tuple[str, ...]
    missing_actions: tuple[str, ...]
    # Actions deskbot has built in that the domain names but the copied code lacks: the
    # built-in one runs in their place (helpdesk-assistant's action_handoff was replaced
    # unsaid, and its team looked for their ticket-opening code running).
    built_in_stand_ins: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = field(default=())


def import_rasa(src: Path | str, out: Path | str) -> ImportReport:
    """Import the Rasa project at ``src`` into the new folder ``out``.

    Raises:
        ProjectError: ``src`` is not a readable Rasa project (file and line named), or ``out``
            exists and is not empty.
    """
    source, target = Path(src), Path(out)
    if not source.is_dir() or not find_domain(source):
        raise ProjectError(source, 0, "not a Rasa project (no domain.yml or domain/ folder)")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectError(target, 0, "exists and is not empty; choose a new folder")
    if target.resolve().is_relative_to(source.resolve()):
        raise ProjectError(target, 0, "must not be inside the Rasa project")
    project = load_project(source)  # reads (and so validates) everything first
    retrieval = project.domain.retrieval_responses
    skipped: list[str] = []
    target.mkdir(parents=True, exist_ok=True)
    for path in project.domain_files:
        relative = path.relative_to(source)
        _write_yaml(path, target / relative, retrieval)
    for path in _files(source / "data"):
        relative = path.relative_to(source)
        if path.suffix == ".md":
            skipped.append(f"{relative}: Rasa 1.x Markdown data is not supported; convert it "
                           "with `rasa data convert` first")  # fmt: skip
        elif path.name.startswith("test_"):
            _write_yaml(path, target / "tests" / path.name, retrieval)
        elif path.suffix in (".yml", ".yaml"):
            _write_yaml(path, target / relative, retrieval)
        elif path.suffix in _COPIED_SUFFIXES:
            _copy(path, target / relative)
    for path in project.test_files:
        if path.is_relative_to(source / "tests"):
            _write_yaml(path, target / path.relative_to(source), retrieval)
    _write_config(source, target)
    if (source / "endpoints.yml").is_file():
        _copy(source / "endpoints.yml", target / "endpoints.yml")
    _copy_actions(source, target)
    faq = retrieval_faq(project)
    if faq:
        _dump(faq, target / FAQ_FILE)
    (target / "models").mkdir(exist_ok=True)
    return _report(target, faq, tuple(skipped))


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(p for p in folder.rglob("*") if p.is_file())


def _copy(path: Path, target: Path) -> None:
    # Contents only: a project copied from a read-only place (a package, a shared mount)
    # must still be editable.
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)


def _copy_actions(source: Path, target: Path) -> None:
    folder, _ = find_actions(source)
    if folder is None:
        return
    if folder.is_file():
        _copy(folder, target / folder.name)
        return
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
            _copy(path, target / folder.name / relative)


def _yaml() -> YAML:
    parser = YAML(typ="rt")
    parser.preserve_quotes = True
    parser.width = 4096
    parser.indent(mapping=2, sequence=4, offset=2)
    return parser


def _dump(data: Any, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        _yaml().dump(data, handle)


def _write_yaml(path: Path, target: Path, retrieval: Mapping[str, str]) -> None:
    """Copy a YAML file; drop retrieval responses and answer retrieval actions with FAQ."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not retrieval:
        _copy(path, target)
        return
    responses = data.get("responses")
    if isinstance(responses, dict):
        for name in [n for n in responses if n in retrieval]:
            del responses[name]
    actions = data.get("actions")
    base = {n.split("/", 1)[0] for n in retrieval}
    if isinstance(actions, list):
        for index in reversed(range(len(actions))):
            if actions[index] in retrieval or actions[index] in base:
                del actions[index]
    for key in ("rules", "stories"):
        for item in data.get(key) or ():
            if isinstance(item, dict):
                _rewrite_steps(item.get("steps"), base)
                _rewrite_steps(item.get("condition"), base)
    _dump(data, target)


def _rewrite_steps(steps: Any, retrieval_actions: set[str]) -> None:
    for step in steps if isinstance(steps, list) else ():
        if not isinstance(step, dict):
            continue
        if step.get("action") in retrieval_actions:
            step["action"] = "action_faq"
        _rewrite_steps(step.get("or"), retrieval_actions)


def _write_config(source: Path, target: Path) -> None:
    config = read_config(source / "config.yml", source / "endpoints.yml")
    path = source / "config.yml"
    data = read_yaml(path) if path.is_file() else None
    if not isinstance(data, dict):
        data = {}
    own: dict[str, Any] = {"language": config.language}
    nlu = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(config.nlu).items()}
    nlu = {k: v for k, v in nlu.items() if v is not None}
    if nlu:
        own["nlu"] = nlu
    thresholds = {k: v for k, v in vars(config.thresholds).items() if v is not None}
    own["thresholds"] = thresholds
    own["handoff"] = {"after_fallbacks": config.handoff.after_fallbacks}
    if config.max_history is not None:
        own["max_history"] = config.max_history
    if config.action_endpoint is not None and config.action_endpoint_file == "config.yml":
        # One from endpoints.yml stays there (it is copied): expanded here, it froze the
        # import machine's ${VAR}s, and its token, into config.yml, which wins.
        own["action_endpoint"] = config.action_endpoint
    data["deskbot"] = own
    _dump(data, target / "config.yml")


def retrieval_faq(project: Project) -> list[dict[str, Any]]:
    """FAQ entries (the JSON import format) from the project's retrieval intents: each
    ``utter_faq/x`` response an entry, its ``faq/x`` examples the question and phrasings."""
    domain = project.domain
    examples: dict[str, list[NluExample]] = {}
    for path in project.nlu_files:
        for example in read_nlu(path)[1]:
            examples.setdefault(example.intent, []).append(example)
    entries = []
    for response, intent in domain.retrieval_responses.items():
        variant = next((v for v in domain.responses[response] if v.text or v.image), None)
        if variant is None:
            continue
        base, key = intent.split("/", 1)
        texts = list(dict.fromkeys(e.text for e in examples.get(intent, ()) if e.text))
        question = texts[0] if texts else key.replace("_", " ").capitalize() + "?"
        entry: dict[str, Any] = {
            "id": retrieval_key(intent),
            "question": question,
            "alternatives": texts[1:],
            "answer": variant.text or variant.image,
            "tags": [base],
        }
        buttons = [
            {"title": str(b["title"]), "payload": str(b["payload"])}
            for b in variant.buttons
            if "title" in b and "payload" in b
        ]
        if buttons:
            entry["buttons"] = buttons
        entries.append(entry)
    return entries


def _report(target: Path, faq: list[dict[str, Any]], skipped: tuple[str, ...]) -> ImportReport:
    project = load_project(target)
    domain = project.domain
    kinds: dict[str, int] = {}
    examples = 0
    for path in project.nlu_files:
        items, found = read_nlu(path)
        examples += len(found)
        for item in items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
    counts = {
        "intents": len(domain.intents),
        "entities": len(domain.entities),
        "slots": len(domain.slots),
        "responses": len(domain.responses),
        "forms": len(domain.forms),
        "nlu examples": examples,
        "synonyms": kinds.get("synonym", 0),
        "regexes": kinds.get("regex", 0),
        "lookups": kinds.get("lookup", 0),
        "rules": len(project.rules),
        "stories": len(project.stories),
        "test stories": len(project.test_stories),
        "faq entries": len(faq),
    }
    custom = tuple(
        a
        for a in domain.actions
        if not a.startswith("utter_") and a not in BUILTIN_ACTIONS and a not in DEFAULT_ACTIONS
    )
    code = action_code(project.actions_dir)
    missing = tuple(a for a in custom if not names_action(code, a))
    stand_ins = () if project.config.action_endpoint else tuple(
        a for a in domain.actions if a in BUILTIN_ACTIONS and not names_action(code, a)
    )  # fmt: skip
    counts["custom actions"] = len(custom)
    return ImportReport(
        out=target,
        counts=counts,
        custom_actions=custom,
        missing_actions=missing,
        built_in_stand_ins=stand_ins,
        skipped=skipped,
        problems=tuple(check_project(target)),
    )
