"""A deskbot project folder (Rasa's layout plus ``faq/``), loaded in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.project.config import ProjectConfig, read_config
from bot.project.domain import Domain
from bot.project.domain_reader import domain_files, read_domain
from bot.project.source import ProjectError
from bot.project.stories import DataFile, Rule, Story, TestStory, read_data_file, read_test_stories

YAML_SUFFIXES = (".yml", ".yaml")
FAQ_SUFFIXES = (".yml", ".yaml", ".json", ".csv")


@dataclass(frozen=True)
class Project:
    """Everything a bot is made of, read from its folder.

    ``nlu_files`` are the data files holding ``nlu:`` (the ``nlu`` package reads them);
    ``faq_files`` the FAQ files (the ``knowledge`` package reads them). ``actions_module`` is
    the import path of the custom actions (``actions``) with ``root`` on ``sys.path``, or None.
    """

    root: Path
    config: ProjectConfig
    domain: Domain
    rules: tuple[Rule, ...]
    stories: tuple[Story, ...]
    nlu_files: tuple[Path, ...]
    faq_files: tuple[Path, ...]
    actions_dir: Path | None
    actions_module: str | None
    models_dir: Path
    test_files: tuple[Path, ...]
    test_stories: tuple[TestStory, ...]
    domain_files: tuple[Path, ...]
    data_files: tuple[Path, ...]


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())


def _is_test_file(path: Path) -> bool:
    return path.name.startswith("test_")


def find_domain(root: Path) -> list[Path]:
    """The domain files of a project: ``domain.yml``/``domain.yaml`` or a ``domain/`` folder."""
    for candidate in (root / "domain.yml", root / "domain.yaml", root / "domain"):
        if candidate.exists():
            return domain_files(candidate)
    return []


def find_actions(root: Path) -> tuple[Path | None, str | None]:
    """The custom actions: an ``actions/`` package or an ``actions.py`` module, with its name."""
    package = root / "actions"
    if (package / "__init__.py").is_file() or (package / "actions.py").is_file():
        return package, "actions"
    if (root / "actions.py").is_file():
        return root / "actions.py", "actions"
    return None, None


def load_project(path: Path | str) -> Project:
    """Read a project folder: config, domain, rules, stories, and where the rest lives.

    Raises:
        ProjectError: the folder or its domain is missing, or a file cannot be read
            (the message names file and line).
    """
    root = Path(path)
    if root.is_file():  # "no such project folder" for a file that is there
        raise ProjectError(root, 0, "is a file; give the project's folder (with domain.yml)")
    if not root.is_dir():
        raise ProjectError(root, 0, "no such project folder; create one with `deskbot init`")
    domains = find_domain(root)
    if not domains:
        raise ProjectError(root, 0, "no domain.yml or domain/ folder")
    data = [read_data_file(p) for p in _yaml_files(root / "data") if not _is_test_file(p)]
    tests = sorted(
        {*_yaml_files(root / "tests"),
         *(p for p in _yaml_files(root / "data") if _is_test_file(p))}
    )  # fmt: skip
    domain = read_domain(domains, [d.path for d in data if d.has_responses])
    faq_dir = root / "faq"
    faq = (
        sorted(p for p in faq_dir.rglob("*") if p.suffix in FAQ_SUFFIXES)
        if faq_dir.is_dir()
        else []
    )
    actions_dir, actions_module = find_actions(root)
    return Project(
        root=root,
        config=read_config(root / "config.yml", root / "endpoints.yml"),
        domain=domain,
        rules=tuple(r for d in data for r in d.rules),
        stories=tuple(s for d in data for s in d.stories),
        nlu_files=tuple(d.path for d in data if d.has_nlu),
        faq_files=tuple(faq),
        actions_dir=actions_dir,
        actions_module=actions_module,
        models_dir=root / "models",
        test_files=tuple(tests),
        test_stories=tuple(s for t in tests for s in read_test_stories(t)),
        domain_files=tuple(domains),
        data_files=tuple(d.path for d in data),
    )


__all__ = ["DataFile", "Project", "find_actions", "find_domain", "load_project"]
