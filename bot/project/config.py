"""Project configuration: deskbot keys in ``config.yml``, mapped from Rasa's pipeline/policies.

deskbot keys sit under a ``deskbot:`` key or at the top level. From a Rasa ``config.yml`` the
parts that mean something here are taken over (``random_seed``, ``max_history``); the rest is
noted in ``ProjectConfig.notes``. (``RulePolicy.core_fallback_threshold`` is kept in
``Thresholds.core_fallback`` for imported configs, but nothing reads it: rules and stories are
matched exactly, with no confidence to compare.)
``FallbackClassifier.threshold`` is noted, not taken: DIET's confidences and deskbot's are on
different scales, and deskbot calibrates its NLU fallback threshold on the project's own data
when it trains.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.project.source import ProjectError, Where, line_of, plain, read_yaml
from bot.project.source import require_mapping as mapping

DEFAULT_NLU_FALLBACK = 0.4

# Rasa components deskbot's own NLU model stands in for; reading them needs no note.
_COVERED = {
    "WhitespaceTokenizer", "SpacyNLP", "SpacyTokenizer", "JiebaTokenizer", "MitieNLP",
    "MitieTokenizer", "LanguageModelFeaturizer", "ConveRTFeaturizer", "HFTransformersNLP",
    "LanguageModelTokenizer", "ConveRTTokenizer", "RegexFeaturizer", "LexicalSyntacticFeaturizer",
    "CountVectorsFeaturizer", "SpacyFeaturizer", "MitieFeaturizer", "EntitySynonymMapper",
    "RegexEntityExtractor", "CRFEntityExtractor", "SpacyEntityExtractor", "MitieEntityExtractor",
    "SklearnIntentClassifier", "MitieIntentClassifier", "KeywordIntentClassifier",
    "ResponseSelector", "FallbackClassifier", "RulePolicy", "MemoizationPolicy",
    "AugmentedMemoizationPolicy", "TEDPolicy", "UnexpecTEDIntentPolicy", "DIETClassifier",
}  # fmt: skip


@dataclass(frozen=True)
class Note:
    """A Rasa setting deskbot ignores or does not support, and where it is."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class NluSettings:
    """How the NLU model is trained; None leaves the ``nlu`` package's default."""

    base_model: str | None = None
    epochs: int | None = None
    seed: int | None = None
    max_length: int | None = None
    # Copies of each example with keyboard typos (nlu.TrainConfig.typo_copies); None: one
    # for a training set of up to 3,000 examples, none for larger ones.
    typo_copies: int | None = None
    # Entities found by pattern (nlu.BUILTIN_ENTITIES), e.g. ("email",); a Rasa project's
    # Duckling dimensions map here.
    builtin_entities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Thresholds:
    """Confidence thresholds.

    ``nlu_fallback`` None means: the model's calibrated threshold if it has one, else 0.4
    (see ``nlu_fallback_or``). ``faq_answer`` / ``faq_suggest`` / ``faq_min_similarity`` /
    ``faq_answer_similarity`` None keep the retriever's defaults (knowledge.RetrieverConfig),
    which were tuned on dev queries with the packaged encoder; another encoder has its own
    cosine scale, so set the two cosines with it: ``faq_min_similarity`` (below it an entry is
    never offered) and ``faq_answer_similarity`` (below it an entry is suggested at most).
    ``faq_answer_words``: a message with fewer words ("my refund?" has one) is suggested at
    most (1: off).
    """

    nlu_fallback: float | None = None
    faq_answer: float | None = None
    faq_suggest: float | None = None
    faq_min_similarity: float | None = None
    faq_answer_similarity: float | None = None
    faq_answer_words: int | None = None
    #: An intent below this confidence yields to a more confident FAQ answer (0: never);
    #: one that would start a form or run a custom action only below ``faq_over_action``.
    faq_over_intent: float | None = None
    faq_over_action: float | None = None
    #: An intent below this confidence that would start a form or run a custom action is
    #: asked about first ("Did you mean this?"; 0: never).
    confirm_action: float | None = None
    #: How many other questions of one message the FAQ answers after the reply to the
    #: message (0: none; the default is the dialogue manager's, 2).
    faq_more_questions: int | None = None
    core_fallback: float = 0.3

    def nlu_fallback_or(self, calibrated: float | None) -> float:
        """The NLU fallback threshold to use given the model's calibrated one (if any)."""
        if self.nlu_fallback is not None:
            return self.nlu_fallback
        return DEFAULT_NLU_FALLBACK if calibrated is None else calibrated


@dataclass(frozen=True)
class HandoffSettings:
    """When the bot offers a human on its own: after this many misunderstandings in a row
    (then hands over at the next); 0, never (a bot without agents)."""

    after_fallbacks: int = 2


@dataclass(frozen=True)
class ProjectConfig:
    """A project's configuration; ``notes`` lists Rasa settings that were ignored."""

    language: str = "en"
    nlu: NluSettings = field(default_factory=NluSettings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    action_endpoint: str | None = None
    action_endpoint_file: str = "config.yml"  # where the project set it
    max_history: int | None = None
    pipeline: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()


def read_config(path: Path | None, endpoints: Path | None = None) -> ProjectConfig:
    """Read ``config.yml`` (deskbot or Rasa) and ``endpoints.yml``; missing files give defaults.

    Raises:
        ProjectError: malformed YAML or a value of the wrong type, naming file and line.
    """
    config = ProjectConfig()
    if path is not None and path.exists():
        data = mapping(read_yaml(path), Where(str(path), 1), "config.yml")
        config = _from_rasa(data, str(path))
        own = data.get("deskbot", data)
        config = _from_deskbot(config, mapping(own, Where(str(path), 1), "deskbot"), str(path))
        if config.language.split("-")[0].lower() != "en" and not config.nlu.base_model:
            # A German bot on the English encoder trains, and understands little: said.
            line = line_of(own, "language") or line_of(data, "language") or 1
            note = Note(str(path), line, (
                f"language {config.language}: the packaged encoder (all-MiniLM-L6-v2) "
                "knows English; set deskbot.nlu.base_model to a multilingual BERT-family "
                "checkpoint folder"
            ))  # fmt: skip
            config = replace(config, notes=(*config.notes, note))
    if endpoints is not None and endpoints.exists():
        config = _from_endpoints(config, endpoints)
    return config


#: endpoints.yml sections deskbot does not read, and what stands in for each.
_ENDPOINTS_NOT_READ = {
    "tracker_store": "conversations live in deskbot's session store (Redis or SQL, settings)",
    "lock_store": "deskbot locks each conversation in its session store",
    "event_broker": "deskbot writes every turn to its transcript tables instead",
    "models": "deskbot serves the model `deskbot train` writes",
    "nlg": "responses come from domain.yml",
}


def _from_endpoints(config: ProjectConfig, path: Path) -> ProjectConfig:
    """Rasa's ``endpoints.yml``: the action server (its url and token, ``${VAR}``s expanded
    from the environment as Rasa does), unless config.yml names one; the rest is noted."""
    file = str(path)
    data = mapping(read_yaml(path), Where(file, 1), "endpoints.yml")
    notes = [
        Note(file, line_of(data, key), f"{key} is not read: {why}")
        for key, why in _ENDPOINTS_NOT_READ.items()
        if data.get(key) is not None
    ]
    action = data.get("action_endpoint")
    if config.action_endpoint is None and isinstance(action, Mapping) and action.get("url"):
        line = line_of(data, "action_endpoint")
        unset: list[str] = []
        url = _expand(str(action["url"]), unset)
        missing = len(unset)
        token = _expand(str(action.get("token") or ""), unset)
        if token and len(unset) == missing:  # a token naming an unset variable is none
            name = str(action.get("token_name") or "token")
            url += ("&" if "?" in url else "?") + urlencode({name: token})
        # Not an error: `deskbot train` and `check` run where only the server's environment
        # (docker-compose, say) sets it, as `rasa train` never reads endpoints.yml.
        why = "is not set: custom actions fail until the server runs with it"
        notes += [
            Note(file, line, f"the environment variable {variable} {why}")
            for variable in dict.fromkeys(unset)
        ]
        for key in sorted(set(action) - {"url", "token", "token_name"}):
            notes.append(Note(file, line, f"action_endpoint.{key} is not supported; ignored"))
        config = replace(config, action_endpoint=url, action_endpoint_file=path.name)
    return replace(config, notes=(*config.notes, *notes))


def _expand(value: str, unset: list[str]) -> str:
    """``${VAR}`` from the environment, as Rasa reads endpoints.yml (a literal
    "${ACTION_URL}/webhook" failed every custom action); unset ones are left as they are
    and named in ``unset``."""

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            unset.append(name)
            return match.group(0)
        return os.environ[name]

    return re.sub(r"\$\{([^}]+)\}", variable, value)


def _components(data: Mapping[str, Any], key: str, file: str) -> list[dict[str, Any]]:
    raw = data.get(key)
    if raw is None or isinstance(raw, str):  # a Rasa 1.x template name is noted by the caller
        return []
    if not isinstance(raw, list):
        raise ProjectError(file, line_of(data, key), f"{key} must be a list of components")
    out = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping) or "name" not in item:
            raise ProjectError(file, line_of(raw, index), f"a {key} entry needs a `name`")
        out.append({**plain(item), "_line": line_of(raw, index)})
    return out


def _from_rasa(data: Mapping[str, Any], file: str) -> ProjectConfig:
    pipeline = _components(data, "pipeline", file)
    policies = _components(data, "policies", file)
    notes = [
        Note(file, line_of(data, key), f"{key} template {data[key]!r} is not supported; ignored")
        for key in ("pipeline", "policies")
        if isinstance(data.get(key), str)
    ]
    core_fallback = Thresholds().core_fallback
    seed: int | None = None
    max_history: int | None = None
    builtin: tuple[str, ...] | None = None
    for part in pipeline:
        name, line = str(part["name"]), part["_line"]
        if name == "FallbackClassifier" and "threshold" in part:
            # Rasa's 0.7 on deskbot's scale refused most of a project's own examples.
            notes.append(Note(file, line, (
                f"FallbackClassifier.threshold {part['threshold']} not taken: deskbot "
                "calibrates its own when training (deskbot.thresholds.nlu_fallback overrides)"
            )))  # fmt: skip
        if "random_seed" in part and seed is None:
            seed = int(part["random_seed"])
        if name in ("DIETClassifier", "ResponseSelector") and "epochs" in part:
            notes.append(Note(file, line, f"{name}.epochs ignored; set deskbot.nlu.epochs"))
        if name == "DucklingEntityExtractor":
            builtin, note = _duckling(part)
            notes.append(Note(file, line, note))
        elif name not in _COVERED:
            notes.append(Note(file, line, f"pipeline component {name} is not supported; ignored"))
    for part in policies:
        name, line = str(part["name"]), part["_line"]
        if name == "RulePolicy" and "core_fallback_threshold" in part:
            core_fallback = float(part["core_fallback_threshold"])
            notes.append(Note(file, line, (
                "RulePolicy.core_fallback_threshold has no effect: deskbot matches rules and "
                "stories exactly; where none applies it runs its fallback"
            )))  # fmt: skip
        fallback_action = part.get("core_fallback_action_name", "action_default_fallback")
        if name == "RulePolicy" and fallback_action != "action_default_fallback":
            notes.append(Note(file, line, (
                f"RulePolicy.core_fallback_action_name {fallback_action} not taken: where no "
                "rule or story applies deskbot runs its two-stage fallback (utter_default, "
                "then the offer of a person)"
            )))  # fmt: skip
        if "max_history" in part and max_history is None:
            max_history = int(part["max_history"])
        if name not in _COVERED:
            notes.append(Note(file, line, f"policy {name} is not supported; ignored"))
    return ProjectConfig(
        language=str(data.get("language") or "en"),
        nlu=NluSettings(seed=seed, builtin_entities=builtin),
        thresholds=Thresholds(core_fallback=core_fallback),
        max_history=max_history,
        pipeline=tuple(str(p["name"]) for p in pipeline),
        policies=tuple(str(p["name"]) for p in policies),
        notes=tuple(notes),
    )


def _duckling(part: Mapping[str, Any]) -> tuple[tuple[str, ...] | None, str]:
    """The built-in entities standing in for a Duckling component, and what to tell."""
    from nlu.builtin_entities import BUILTIN_ENTITIES

    raw = part.get("dimensions")
    if isinstance(raw, list) and raw:  # none listed means all of them, as in Rasa
        found = tuple(str(d) for d in raw if str(d) in BUILTIN_ENTITIES)
        missed = ", ".join(str(d) for d in raw if str(d) not in BUILTIN_ENTITIES)
    else:  # Duckling's every dimension
        found, missed = tuple(BUILTIN_ENTITIES), "the other dimensions"
    said = "Duckling is not supported"
    if found:
        said += f"; {', '.join(found)} found by deskbot's own patterns (nlu.builtin_entities)"
    if missed:
        said += f"; not found: {missed}"
    return found or None, said


#: The least a number setting may be.
_AT_LEAST = {
    "nlu.epochs": 1, "nlu.max_length": 1, "nlu.typo_copies": 0, "handoff.after_fallbacks": 0
}  # fmt: skip


def _from_deskbot(config: ProjectConfig, data: Mapping[str, Any], file: str) -> ProjectConfig:
    def section(key: str, cls: type[Any], current: Any) -> Any:
        raw = data.get(key)
        if raw is None:
            return current
        where = Where(file, line_of(data, key))
        body = mapping(raw, where, key)
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for name, value in body.items():
            if name not in known:
                raise ProjectError(file, line_of(body, name), f"unknown setting {key}.{name}")
            typed = _typed(value, str(known[name].type), file, line_of(body, name))
            least = _AT_LEAST.get(f"{key}.{name}")
            if least is not None and typed is not None and typed < least:
                # "epochs: 0" trained the default 10 passes without a word
                problem = f"{key}.{name} must be at least {least}, got {typed}"
                raise ProjectError(file, line_of(body, name), problem)
            changes[str(name)] = typed
        return replace(current, **changes)

    changes: dict[str, Any] = {
        "nlu": section("nlu", NluSettings, config.nlu),
        "thresholds": section("thresholds", Thresholds, config.thresholds),
        "handoff": section("handoff", HandoffSettings, config.handoff),
    }
    if "language" in data:
        changes["language"] = str(data["language"])
    if data.get("action_endpoint") is not None:
        endpoint = data["action_endpoint"]
        url = endpoint.get("url") if isinstance(endpoint, Mapping) else endpoint
        changes["action_endpoint"] = str(url)
    if data.get("max_history") is not None:
        changes["max_history"] = _typed(
            data["max_history"], "int", file, line_of(data, "max_history")
        )
    return replace(config, **changes)


def _typed(value: Any, annotation: str, file: str, line: int) -> Any:
    if value is None:
        return None
    if "tuple[str" in annotation:  # only builtin_entities so far
        from nlu.builtin_entities import BUILTIN_ENTITIES

        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProjectError(file, line, f"expected a list of names, got {value!r}")
        unknown = [v for v in value if v not in BUILTIN_ENTITIES]
        if unknown:
            known = ", ".join(BUILTIN_ENTITIES)
            raise ProjectError(
                file, line, f"unknown built-in entity {unknown[0]!r}; known: {known}"
            )
        return tuple(value)
    try:
        if "float" in annotation:
            return float(value)
        if "int" in annotation:
            if isinstance(value, bool) or float(value) != int(value):
                raise ValueError
            return int(value)
    except (TypeError, ValueError):
        raise ProjectError(file, line, f"expected a number, got {value!r}") from None
    return str(value)
