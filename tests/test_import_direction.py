"""Imports flow one way: bot -> nlu, knowledge; the leaves never import bot or each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "nlu", "knowledge")
ALLOWED = {"bot": {"bot", "nlu", "knowledge"}, "nlu": {"nlu"}, "knowledge": {"knowledge"}}


def imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def test_every_module_imports_only_downwards() -> None:
    violations = []
    checked = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            checked += 1
            bad = imported_packages(path) - ALLOWED[package]
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert checked > 10
    assert violations == []


def test_the_checker_sees_a_forbidden_edge(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom bot.settings import Settings\nimport knowledge.tables\n")
    assert imported_packages(module) == {"bot", "knowledge"}


def test_every_public_name_of_the_lazy_packages_resolves() -> None:
    # knowledge and nlu list their names twice (what __all__ promises, where each lives);
    # a name in one list but not the other would pass the type checker and fail at run time.
    import importlib

    for package in ("knowledge", "nlu"):
        module = importlib.import_module(package)
        assert set(module.__all__) == set(module._HOME), package
        for name in module.__all__:
            value = getattr(module, name)
            home = importlib.import_module(module._HOME[name])
            assert value is getattr(home, name), f"{package}.{name}"
            assert name in dir(module)
