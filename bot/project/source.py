"""Reading project YAML with line numbers, and the one error the project layer raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.errors import BotError


class ProjectError(BotError):
    """A project file that cannot be read; the message starts with ``file:line:``."""

    def __init__(self, file: Path | str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = str(file)
        self.line = line
        self.detail = message


@dataclass(frozen=True)
class Where:
    """A place in a project file (lines count from 1; 0 when unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def read_yaml(path: Path) -> Any:
    """Parse a YAML file (YAML 1.2, as Rasa reads it) keeping line information.

    Returns:
        ruamel's round-trip nodes (dict / list subclasses) or None for an empty file.

    Raises:
        ProjectError: the file is missing, unreadable or malformed, naming file and line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ProjectError(path, 0, f"cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ProjectError(path, 0, "not UTF-8 text") from None
    parser = YAML(typ="rt")
    parser.allow_duplicate_keys = False
    try:
        return parser.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = str(error.problem or error.context or "malformed YAML")
        problem = problem.split(" with value ", 1)[0]  # duplicate keys quote whole values
        raise ProjectError(path, line, f"malformed YAML: {problem}") from None
    except YAMLError as error:
        raise ProjectError(path, 0, f"malformed YAML: {error}") from None


def line_of(node: Any, key: Any = None) -> int:
    """The 1-based line of ``node`` itself, or of ``key`` (a mapping key or list index) in it."""
    if not isinstance(node, CommentedBase):
        return 0
    try:
        if key is None:
            return int(node.lc.line) + 1
        if isinstance(node, Mapping):
            return int(node.lc.key(key)[0]) + 1
        return int(node.lc.item(key)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 0


def plain(node: Any) -> Any:
    """A copy of a parsed node as plain dicts, lists, str, int, float, bool and None."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def require_mapping(node: Any, where: Where, what: str) -> Mapping[str, Any]:
    """``node`` if it is a mapping (None counts as empty), else a ProjectError at ``where``."""
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise ProjectError(where.file, where.line, f"{what} must be a mapping")
    return node


def require_list(node: Any, where: Where, what: str) -> list[Any]:
    """``node`` if it is a list (None counts as empty), else a ProjectError at ``where``."""
    if node is None:
        return []
    if not isinstance(node, list):
        raise ProjectError(where.file, where.line, f"{what} must be a list")
    return node
