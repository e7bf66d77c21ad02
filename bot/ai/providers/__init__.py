"""Chat providers: the protocol and its OpenAI and Anthropic adapters.

The adapters import their SDKs (about a second each), so they are loaded on
first use: `from bot.ai.providers import OpenAIProvider` still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.ai.providers.base import (
    ChatMessage,
    ChatProvider,
    Completion,
    StreamChunk,
    TextDelta,
    Usage,
)
from core_client.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.ai.providers.anthropic import AnthropicProvider
    from bot.ai.providers.openai import OpenAIProvider

# Keep in step with the imports above (tests/core_client/test_lazy.py checks).
EXPORTS = {
    "bot.ai.providers.anthropic": ("AnthropicProvider",),
    "bot.ai.providers.openai": ("OpenAIProvider",),
}
if not TYPE_CHECKING:  # hidden from mypy, which would then accept any name
    __getattr__ = lazy_exports(__name__, EXPORTS)


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
