"""Custom actions written with rasa-sdk, run in-process or on a remote action server."""

from bot.actions.runner import (
    ActionError,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    ActionRunner,
    InProcessActionRunner,
    RemoteActionRunner,
)

__all__ = [
    "ActionError",
    "ActionNotFound",
    "ActionRejected",
    "ActionResult",
    "ActionRunner",
    "InProcessActionRunner",
    "RemoteActionRunner",
]
