"""CLI commands of the faq package (filled in by its issue)."""

import typer


def register(*_apps: typer.Typer) -> None:
    """Add this package's commands to the CLI."""
