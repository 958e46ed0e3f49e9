"""The objects one deskbot process runs on, built from settings and closed together."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Engine

from bot.actions import ActionRunner
from bot.dialogue import DialogueManager, build_action_runner, dialogue_from_project
from bot.faq_source import KnowledgeFaq, build_retriever
from bot.nlu_parser import NluParser, words_of
from bot.project import Project, load_project
from bot.sessions import RedisSessionStore, SessionStore, SqlSessionStore
from bot.settings import Settings
from bot.tokens import TokenStore
from bot.training import nlu_model_dir, project_data, seed_faq
from bot.transcripts import TranscriptLog
from knowledge import FaqBase, FaqRetriever, FaqSync

log = logging.getLogger("deskbot")


@dataclass
class Services:
    """Everything a process serves with. The bot parts are None when no project is served."""

    settings: Settings
    engine: Engine
    sessions: SessionStore
    transcripts: TranscriptLog
    tokens: TokenStore
    project: Project | None = None
    faq: FaqBase | None = None
    retriever: FaqRetriever | None = None
    dialogue: DialogueManager | None = None
    parser: NluParser | None = None
    actions: ActionRunner | None = None
    closers: list[Any] = field(default_factory=list)

    async def aclose(self) -> None:
        if self.parser is not None:
            await self.parser.aclose()
        if self.actions is not None:
            await self.actions.aclose()
        for closer in reversed(self.closers):
            await asyncio.to_thread(closer)
        await self.sessions.close()


def build_session_store(settings: Settings, engine: Engine) -> SessionStore:
    if settings.session_store == "redis":
        assert settings.redis_url is not None  # the settings validator guarantees it
        return RedisSessionStore.from_url(
            settings.redis_url,
            prefix=settings.redis_prefix,
            ttl_seconds=settings.session_ttl_seconds,
            lock_timeout=settings.lock_timeout_seconds,
        )
    return SqlSessionStore(
        engine,
        ttl_seconds=settings.session_ttl_seconds,
        lock_timeout=settings.lock_timeout_seconds,
    )


async def build_services(settings: Settings, engine: Engine) -> Services:
    """Storage always; the bot (project, FAQ index, NLU model, actions) when the configured
    project folder exists. A project without a trained model still serves, with the FAQ
    and fallback only, and says so in the log."""
    services = Services(
        settings=settings,
        engine=engine,
        sessions=build_session_store(settings, engine),
        transcripts=TranscriptLog(engine),
        tokens=TokenStore(engine),
    )
    if (
        not (settings.project_dir / "domain.yml").exists()
        and not (settings.project_dir / "domain").is_dir()
    ):
        log.warning("no project at %s: serving storage and APIs only", settings.project_dir)
        return services
    try:
        await _build_bot(services)
    except BaseException:
        await services.aclose()
        raise
    return services


async def _build_bot(services: Services) -> None:
    settings = services.settings
    project = await asyncio.to_thread(load_project, settings.project_dir)
    services.project = project
    base = FaqBase(services.engine)
    services.faq = base
    await asyncio.to_thread(partial(seed_faq, add_new=False), project, base)
    retriever = build_retriever(project, settings, base)
    await asyncio.to_thread(retriever.start)
    services.closers.append(retriever.close)
    services.retriever = retriever
    sync = FaqSync(retriever, redis_url=settings.redis_url, key_prefix=settings.redis_prefix)
    sync.start()
    services.closers.append(sync.close)
    model_dir = nlu_model_dir(project)
    if (model_dir / "training.json").exists():
        examples = await asyncio.to_thread(project_data, project)
        services.parser = await NluParser.load(
            model_dir,
            device=settings.device,
            threads=settings.torch_threads,
            known=words_of(e.text for e in examples.examples),
            language=project.config.language,
        )
    else:
        log.warning("no trained NLU model in %s: run `deskbot train`", model_dir)
    services.actions = build_action_runner(project, timeout=settings.action_timeout_seconds)
    if project.config.action_endpoint:
        await asyncio.to_thread(_warn_missing_actions, project)
    services.dialogue = dialogue_from_project(
        project,
        store=services.sessions,
        transcripts=services.transcripts,
        parser=services.parser,
        faq=KnowledgeFaq(retriever, base),
        actions=services.actions,
    )


def _warn_missing_actions(project: Project) -> None:
    """Say at start which domain actions the action server lacks: each would otherwise fail
    only when a user reaches it (a form's validator failing every answer, say)."""
    from bot.actions.runner import server_actions, shown_url
    from bot.project.check import is_custom_action

    url = str(project.config.action_endpoint)
    served = server_actions(url)
    shown = shown_url(url)
    if served is None:
        log.warning("the action server at %s did not answer; its actions run when needed", shown)
        return
    missing = sorted(a for a in project.domain.actions if is_custom_action(a) and a not in served)
    if missing:
        log.warning("the action server at %s lacks %s", shown, ", ".join(missing))
