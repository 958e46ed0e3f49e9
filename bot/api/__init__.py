"""The HTTP API: channels, operations, the agents' console and the FAQ editor."""

from bot.api.app import create_app

__all__ = ["create_app"]
