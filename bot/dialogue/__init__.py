"""Dialogue: turning a user's message into the bot's replies, and the handoff controls."""

from bot.dialogue.config import DialogueConfig
from bot.dialogue.manager import DialogueManager
from bot.dialogue.messages import BotMessage, MessageSink
from bot.dialogue.ports import FaqAnswer, FaqChoice, FaqSource, Parser
from bot.dialogue.shortcut import parse_shortcut
from bot.dialogue.wiring import build_action_runner, dialogue_config, dialogue_from_project

__all__ = [
    "BotMessage",
    "DialogueConfig",
    "DialogueManager",
    "FaqAnswer",
    "FaqChoice",
    "FaqSource",
    "MessageSink",
    "Parser",
    "build_action_runner",
    "dialogue_config",
    "dialogue_from_project",
    "parse_shortcut",
]
