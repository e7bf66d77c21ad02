"""The AI service's typed settings, filled once by the composition root from `[ai]`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

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

    provider: Provider = "none"
    base_url: str = ""
    chat_model: str = ""
    rules_model: str = ""
    recap_model: str = ""
    max_tokens: int = 800
    timeout: float = 30.0
    max_retries: int = 2
    deadline: float = 120.0
    context_tokens: int = 3000
    memory_ttl: float = 1800.0
    memory_turns: int = 6
    user_requests_per_minute: int = 5
    guild_requests_per_minute: int = 30
    user_daily_tokens: int = 50_000
    guild_daily_tokens: int = 500_000

    def model_for(self, task: Task) -> str:
        """Return the model configured for a task, or the provider's default."""
        chosen = {"chat": self.chat_model, "rules": self.rules_model, "recap": self.recap_model}
        return chosen[task] or DEFAULT_MODELS.get(self.provider, "")

    @classmethod
    def from_section(cls, section: Any) -> AISettings:
        """Return settings copied from a config section with the same attribute names."""
        values = {f.name: getattr(section, f.name) for f in fields(cls) if hasattr(section, f.name)}
        if values.get("provider", "none") not in PROVIDERS:
            raise ValueError(f"ai.provider must be one of {', '.join(PROVIDERS)}")
        return cls(**values)
