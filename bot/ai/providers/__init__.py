"""Chat providers: the protocol and its OpenAI and Anthropic adapters."""

from __future__ import annotations

from bot.ai.providers.anthropic import AnthropicProvider
from bot.ai.providers.base import (
    ChatMessage,
    ChatProvider,
    Completion,
    StreamChunk,
    TextDelta,
    Usage,
)
from bot.ai.providers.openai import OpenAIProvider

__all__ = [
    "AnthropicProvider",
    "ChatMessage",
    "ChatProvider",
    "Completion",
    "OpenAIProvider",
    "StreamChunk",
    "TextDelta",
    "Usage",
]
