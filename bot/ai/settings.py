"""The AI service's settings, the `[ai]` section: declared once, filled by the configuration loader.

The provider keys are secrets under the SDKs' own environment variable names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core_client.settings import setting

Provider = Literal["none", "openai", "anthropic"]
Task = Literal["chat", "rules", "recap"]
PROVIDERS: tuple[Provider, ...] = ("none", "openai", "anthropic")
TASKS: tuple[Task, ...] = ("chat", "rules", "recap")

# Used when a task's model is left empty; a local OpenAI-compatible server
# usually needs its own model name set explicitly.
DEFAULT_MODELS: dict[str, str] = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


@dataclass(frozen=True, slots=True)
class AISettings:
    """Everything `bot.ai` needs beyond its injected clients, clock and reporter."""

    provider: Provider = setting("none", "AI provider for /ask and /recap")
    base_url: str = setting(
        "", "OpenAI-compatible (e.g. a local server's /v1) or Anthropic base URL; empty = the API"
    )
    chat_model: str = setting("", "model for /ask; empty = the provider's default")
    rules_model: str = setting("", "model for rules lookups; empty = the provider's default")
    recap_model: str = setting("", "model for /recap; empty = the provider's default")
    max_tokens: int = setting(800, "longest answer, tokens", min=16, max=32000)
    timeout: float = setting(30.0, "seconds to wait for each provider response", min=0.1, max=600)
    max_retries: int = setting(2, "retries on 429/5xx/timeouts", min=0, max=5)
    deadline: float = setting(
        120.0, "longest a whole answer may take, retries included, seconds", min=1, max=900
    )
    context_tokens: int = setting(
        3000, "campaign-context budget, tokens (estimated as chars/4)", min=200, max=200_000
    )
    memory_ttl: float = setting(1800.0, "seconds a channel's conversation is remembered", min=0)
    memory_turns: int = setting(6, "question/answer turns remembered per channel", min=0, max=50)
    user_requests_per_minute: int = setting(
        5, "AI requests per user per minute; 0 = no limit", min=0
    )
    guild_requests_per_minute: int = setting(
        30, "AI requests per server per minute; 0 = no limit", min=0
    )
    user_daily_tokens: int = setting(50_000, "tokens per user per UTC day; 0 = no limit", min=0)
    guild_daily_tokens: int = setting(500_000, "tokens per server per UTC day; 0 = no limit", min=0)
    # Its own key, not Core's: a leaked query key must not also spend AI tokens.
    chat_keys: tuple[str, ...] = setting(
        (),
        "bearer keys of the service's POST /ai/chat, space-separated for rotation;"
        " none = the route refuses everyone",
        secret=True,
    )
    openai_api_key: str | None = setting(
        None, "the OpenAI (or compatible) API key", secret=True, env="OPENAI_API_KEY"
    )
    anthropic_api_key: str | None = setting(
        None, "the Anthropic API key", secret=True, env="ANTHROPIC_API_KEY"
    )

    def model_for(self, task: Task) -> str:
        """Return the model configured for a task, or the provider's default."""
        chosen = {"chat": self.chat_model, "rules": self.rules_model, "recap": self.recap_model}
        return chosen[task] or DEFAULT_MODELS.get(self.provider, "")
