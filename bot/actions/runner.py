"""Running custom actions written with rasa-sdk: in this process, or on an action server.

Both speak the same payload (PROTOCOLS §5): ``{"next_action", "sender_id", "tracker",
"domain", "version"}`` in, ``{"events", "responses"}`` out.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import logging
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import httpx

from bot.errors import BotError

log = logging.getLogger(__name__)


class ActionError(BotError):
    """A custom action could not run (unknown, server down, it crashed)."""


class ActionRejected(BotError):
    """The action refused to run (rasa-sdk's ActionExecutionRejection); a form re-asks."""


class ActionNotFound(ActionError):
    status_code = 404


@dataclass(frozen=True)
class ActionResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)


class ActionRunner(Protocol):
    async def run(self, action_call: dict[str, Any]) -> ActionResult: ...

    def names(self) -> set[str] | None:
        """The actions this runner knows, or None when it cannot tell without asking."""
        ...

    async def aclose(self) -> None: ...


def _load_actions(path: Path) -> ModuleType:
    """Import the actions under a name of their own, so two projects never share a module."""
    path = path.resolve()
    if not path.exists() and path.with_suffix(".py").exists():
        path = path.with_suffix(".py")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"deskbot_actions_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    if path.is_dir():
        init = path / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or (path.is_dir() and not init.exists()):
        raise ActionError(f"{path} is not an actions package (no __init__.py) or module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[name]
        raise ActionError(f"cannot import actions from {path}: {error}") from error
    if path.is_dir():
        # Import every submodule now: rasa-sdk would exit the process on an ImportError.
        for info in pkgutil.iter_modules([str(path)], prefix=f"{name}."):
            try:
                importlib.import_module(info.name)
            except Exception as error:
                raise ActionError(f"cannot import actions from {path}: {error}") from error
    return module


def _own_actions(package: ModuleType) -> list[type[Any]]:
    from rasa_sdk import Action

    prefix = package.__name__
    found: list[type[Any]] = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == prefix or name.startswith(prefix + ".")):
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Action)
                and value.__module__ == name
                and not getattr(value, "__abstractmethods__", None)
            ):
                found.append(value)
    return found


def _result(body: Any) -> ActionResult:
    if not isinstance(body, dict):
        return ActionResult()
    return ActionResult(
        events=list(body.get("events") or []), responses=list(body.get("responses") or [])
    )


class InProcessActionRunner:
    """Loads a project's actions (a package folder or one ``.py`` file) and runs them with
    rasa-sdk's own executor, so actions behave exactly as on a rasa-sdk action server."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        from rasa_sdk.executor import ActionExecutor

        self.executor = ActionExecutor()
        # An async action that never finishes would hold its conversation's lock for
        # MAX_HOLD_TIMEOUTS lock timeouts; it is cancelled after the same time an action
        # server gets. (A synchronous run() that blocks cannot be interrupted.)
        self.timeout = timeout
        # Register only this project's classes: rasa-sdk's register_package would take every
        # Action subclass loaded in the process, another project's included.
        # Run as rasa-sdk runs them, a synchronous run() inline included: moving those to a
        # thread broke actions that hold thread-bound objects (a sqlite3 connection) or wrap
        # an async run() in a plain decorator. An action that blocks (requests) blocks this
        # worker meanwhile; such actions belong on an action server (README).
        for action in _own_actions(_load_actions(path)):
            self.executor.register_action(action)

    def names(self) -> set[str] | None:
        return {a.name for a in self.executor.list_actions()}

    async def run(self, action_call: dict[str, Any]) -> ActionResult:
        from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

        deadline = asyncio.timeout(self.timeout)
        try:
            async with deadline:
                result = await self.executor.run(action_call)
        except ActionExecutionRejection as error:
            raise ActionRejected(str(error.message)) from error
        except ActionNotFoundException as error:
            raise ActionNotFound(str(error.message)) from error
        except Exception as error:
            if deadline.expired():  # ours, not a TimeoutError the action raised itself
                raise ActionError(
                    f"action {action_call.get('next_action')!r} did not finish within"
                    f" {self.timeout:g} s"
                ) from error
            log.exception("custom action %s failed", action_call.get("next_action"))
            raise ActionError(
                f"action {action_call.get('next_action')!r} failed: {error}"
            ) from error
        return _result(result.model_dump() if result is not None else None)

    async def aclose(self) -> None:
        """Nothing to release."""


class RemoteActionRunner:
    """Calls an action server's ``POST /webhook`` with a timeout.

    An action may do something that must happen once (open a ticket, take a payment), so a
    call is repeated only when the server cannot have run it: the connection was never made,
    or it answered 503 (not available). A timeout after the request went out, a 500 or a
    broken connection is reported, not retried: the action may have run.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.shown = shown_url(url)  # what errors and logs name: never its token
        self.retries = retries
        # Idle connections are dropped before rasa-sdk's server closes them (Sanic: 5 s), so
        # a call never goes out on a connection the server is closing: that failure is not
        # retried any more, as it cannot be told from a crash mid-action.
        self.client = client or httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(keepalive_expiry=2.0)
        )

    def names(self) -> set[str] | None:
        return None

    async def run(self, action_call: dict[str, Any]) -> ActionResult:
        name = action_call.get("next_action")
        last_error = "no attempt made"
        for attempt in range(self.retries + 1):
            try:
                response = await self.client.post(self.url, json=action_call)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                last_error = f"{type(error).__name__}: {error}"
            except httpx.HTTPError as error:
                raise ActionError(
                    f"action {name!r} failed at {self.shown}: {type(error).__name__}: {error}"
                    " (not retried: the server may have run it)"
                ) from error
            else:
                if response.status_code == 200:
                    return _result(response.json())
                if response.status_code == 400:
                    raise ActionRejected(_error_text(response) or f"action {name!r} rejected")
                if response.status_code == 404:
                    raise ActionNotFound(f"action server does not know action {name!r}")
                last_error = f"HTTP {response.status_code}: {_error_text(response)}"
                if response.status_code != 503:
                    raise ActionError(f"action {name!r} failed at {self.shown}: {last_error}")
            if attempt < self.retries:
                await asyncio.sleep(0.1 * 2**attempt)
        raise ActionError(f"action {name!r} failed at {self.shown}: {last_error}")

    async def aclose(self) -> None:
        await self.client.aclose()


def shown_url(url: str) -> str:
    """An action server's URL as logs and messages name it: without its query, which may
    carry endpoints.yml's token."""
    return str(httpx.URL(url).copy_with(query=None))


def server_actions(webhook_url: str, *, timeout: float = 2.0) -> set[str] | None:
    """The actions an action server has (rasa-sdk's ``GET /actions``), or None when it cannot
    be asked (down, not rasa-sdk): a domain action it lacks fails only when first run."""
    url = httpx.URL(webhook_url)
    # the token endpoints.yml gives rides in the query, which /actions gets too
    actions = url.copy_with(path=url.path.rstrip("/").removesuffix("/webhook") + "/actions")
    try:
        response = httpx.get(actions, timeout=timeout)
        listed = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    if not isinstance(listed, list):
        return None
    return {str(a["name"]) for a in listed if isinstance(a, dict) and "name" in a}


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("error", "")) if isinstance(body, dict) else ""
