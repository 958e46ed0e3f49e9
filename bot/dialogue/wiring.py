"""Building a dialogue manager from a project folder's contents."""

from __future__ import annotations

from dataclasses import replace

from bot.actions import ActionRunner, InProcessActionRunner, RemoteActionRunner
from bot.dialogue.config import DialogueConfig
from bot.dialogue.manager import DialogueManager
from bot.dialogue.ports import FaqSource, Parser
from bot.project import Project
from bot.sessions import SessionStore
from bot.transcripts import TranscriptLog


def dialogue_config(project: Project) -> DialogueConfig:
    """Thresholds from config.yml: the NLU model applies its own calibrated fallback, so the
    dialogue manager adds a threshold only when the project sets one explicitly."""
    thresholds = project.config.thresholds
    offer_at = project.config.handoff.after_fallbacks
    config = DialogueConfig(
        nlu_threshold=thresholds.nlu_fallback or 0.0,
        handoff_after_fallbacks=offer_at + 1 if offer_at > 0 else 0,
        language=project.config.language,
    )
    retrieval = project.domain.retrieval_intents  # answered from the FAQ base, as faq is
    config = replace(config, faq_intents=(*dict.fromkeys((*config.faq_intents, *retrieval)),))
    if thresholds.faq_over_intent is not None:
        config = replace(config, faq_over_intent=thresholds.faq_over_intent)
    if thresholds.faq_over_action is not None:
        config = replace(config, faq_over_action=thresholds.faq_over_action)
    if thresholds.confirm_action is not None:
        config = replace(config, confirm_action=thresholds.confirm_action)
    if thresholds.faq_more_questions is not None:
        config = replace(config, more_questions=thresholds.faq_more_questions)
    return config


def build_action_runner(project: Project, *, timeout: float = 10.0) -> ActionRunner | None:
    """The project's action server when one is configured, else its actions code in-process;
    either way a call that takes longer than ``timeout`` seconds fails."""
    if project.config.action_endpoint:
        return RemoteActionRunner(project.config.action_endpoint, timeout=timeout)
    if project.actions_dir is not None:
        return InProcessActionRunner(project.actions_dir, timeout=timeout)
    return None


def dialogue_from_project(
    project: Project,
    *,
    store: SessionStore,
    transcripts: TranscriptLog,
    parser: Parser | None,
    faq: FaqSource | None,
    actions: ActionRunner | None = None,
    config: DialogueConfig | None = None,
) -> DialogueManager:
    return DialogueManager(
        domain=project.domain,
        rules=list(project.rules),
        stories=list(project.stories),
        store=store,
        transcripts=transcripts,
        parser=parser,
        faq=faq,
        actions=actions,
        config=config or dialogue_config(project),
    )
