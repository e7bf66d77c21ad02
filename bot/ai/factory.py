"""Build the AI service from its settings: the one call the composition root makes.

A provider's SDK is imported only when that provider is configured: the two
SDKs take about a second to import, which every other command would pay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.ai.limits import Quota, UsageLimits, core_totals
from bot.ai.memory import ConversationMemory
from bot.ai.providers.base import ChatProvider
from bot.ai.service import AIService, Reporter
from bot.ai.settings import AISettings

if TYPE_CHECKING:  # the client pulls in the HTTP stack, which light CLI commands skip
    from core_client import CoreClient

log = logging.getLogger(__name__)

# Local OpenAI-compatible servers ignore the key, but the SDK insists on one.
LOCAL_PLACEHOLDER_KEY = "not-needed"


def build_provider(settings: AISettings) -> tuple[ChatProvider | None, str | None]:
    """Return the configured provider, or None and the reason there is none."""
    if settings.provider == "openai":
        return _openai(settings)
    if settings.provider == "anthropic":
        return _anthropic(settings)
    return None, None


def _openai(settings: AISettings) -> tuple[ChatProvider | None, str | None]:
    base_url = settings.base_url or None
    key = settings.openai_api_key or (LOCAL_PLACEHOLDER_KEY if base_url else None)
    if key is None:
        return None, "The AI provider is `openai` but OPENAI_API_KEY is not set."
    import openai

    from bot.ai.providers.openai import OpenAIProvider

    client = openai.AsyncOpenAI(api_key=key, base_url=base_url)
    return OpenAIProvider(
        client,
        max_retries=settings.max_retries,
        timeout=settings.timeout,
        deadline=settings.deadline,
        token_param="max_tokens" if base_url else "max_completion_tokens",
    ), None


def _anthropic(settings: AISettings) -> tuple[ChatProvider | None, str | None]:
    if not settings.anthropic_api_key:
        return None, "The AI provider is `anthropic` but ANTHROPIC_API_KEY is not set."
    import anthropic

    from bot.ai.providers.anthropic import AnthropicProvider

    client = anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key, base_url=settings.base_url or None
    )
    return AnthropicProvider(
        client,
        max_retries=settings.max_retries,
        timeout=settings.timeout,
        deadline=settings.deadline,
    ), None


def build_ai_service(
    settings: AISettings,
    *,
    reporter: Reporter,
    clock: Callable[[], float] = time.time,
    core: CoreClient | None = None,
) -> AIService:
    """Return the AI service; without a usable provider it explains how to configure one.

    With Core, daily budgets are counted from its usage totals (see `bot.ai.limits`).
    """
    provider, reason = build_provider(settings)
    if provider is None:
        log.info("AI assistant off: %s", reason or "no provider configured")
    else:
        log.info("AI assistant on: %s, chat model %s", provider.name, settings.model_for("chat"))
    limits = UsageLimits(
        user=Quota(settings.user_requests_per_minute, settings.user_daily_tokens),
        guild=Quota(settings.guild_requests_per_minute, settings.guild_daily_tokens),
        clock=clock,
        totals=core_totals(core) if core is not None else None,
    )
    memory = ConversationMemory(
        ttl=settings.memory_ttl, max_turns=settings.memory_turns, clock=clock
    )
    return AIService(
        settings,
        provider,
        reporter=reporter,
        limits=limits,
        memory=memory,
        unavailable_reason=reason,
    )
