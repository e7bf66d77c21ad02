"""The AI game assistant: campaign context, providers, limits, memory and Discord pacing.

Nothing here imports discord; the composition root builds the service with
`build_ai_service` and a thin `/ask` cog drives it.
"""

from __future__ import annotations

from bot.ai.answer import Answer, AnswerStream
from bot.ai.errors import (
    AIBudgetExceededError,
    AIContextError,
    AIError,
    AIProviderError,
    AIRateLimitedError,
    AIUnavailableError,
)
from bot.ai.factory import build_ai_service, build_provider
from bot.ai.pages import PagedAnswer, PageSink, stream_pages
from bot.ai.providers.base import ChatMessage, ChatProvider, Usage
from bot.ai.service import AIService, Reporter
from bot.ai.settings import AISettings
from bot.ai.streaming import Render, StreamPacer, changed_pages, split_message

__all__ = [
    "AIBudgetExceededError",
    "AIContextError",
    "AIError",
    "AIProviderError",
    "AIRateLimitedError",
    "AIService",
    "AISettings",
    "AIUnavailableError",
    "Answer",
    "AnswerStream",
    "ChatMessage",
    "ChatProvider",
    "PageSink",
    "PagedAnswer",
    "Render",
    "Reporter",
    "StreamPacer",
    "Usage",
    "build_ai_service",
    "build_provider",
    "changed_pages",
    "split_message",
    "stream_pages",
]
