"""Files the CLI writes (reports, exports): refused before the work, not after it."""

from __future__ import annotations

from pathlib import Path

from bot.errors import BotError


def output_file(path: Path, option: str) -> Path:
    """``path`` if a file can be written there; checked first, so a scoring run of minutes
    does not end in a traceback.

    Raises:
        BotError: ``path`` is a folder, or lies under a file.
    """
    if path.is_dir():
        raise BotError(f"{option} {path} is a folder: give a file name, e.g. {path / 'out.json'}")
    above = next((p for p in path.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise BotError(f"{option} {path}: {above} is a file, not a folder")
    return path


def write_output(path: Path, text: str, option: str) -> None:
    """Write ``text`` to ``path``, creating its folder.

    Raises:
        BotError: it could not be written (no permission, disk full).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BotError(f"{option} {path}: cannot write it: {error.strerror or error}") from None
