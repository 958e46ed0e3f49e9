"""Small project folders written on the fly."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

HELPDESK = Path("/work/shared/data/rasa-projects/helpdesk-assistant")
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"

Writer = Callable[..., Path]


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (texts are dedented)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Writer:
    """``project({path: text, ...})`` writes a project folder and returns its root."""

    def make(files: dict[str, str], name: str = "bot") -> Path:
        return write_files(tmp_path / name, files)

    return make


@pytest.fixture
def helpdesk() -> Path:
    if not HELPDESK.is_dir():
        pytest.skip(f"{HELPDESK} is not here")
    return HELPDESK
