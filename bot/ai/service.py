"""The AI service: context, limits, memory, a provider call, then usage and conversation reports.

`AIService.ask` does every check before it returns (so a refusal is an
exception the caller can show at once), then hands back an `AnswerStream` to
iterate for text deltas. When the stream ends, the turn is remembered, its
tokens are charged to the user's and guild's budgets, and two reports go to the
injected reporter: `("ai.usage", {...})` and `("ai.conversation", {...})`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.ai.answer import Answer, AnswerStream
from bot.ai.context import build_context, build_recap_context
from bot.ai.errors import AIError, AIUnavailableError
from bot.ai.limits import UsageLimits
from bot.ai.memory import ConversationMemory
from bot.ai.prompts import chat_messages, recap_messages
from bot.ai.providers.base import ChatMessage, ChatProvider, Usage
from bot.ai.settings import TASKS, AISettings, Task

log = logging.getLogger(__name__)

Reporter = Callable[[str, dict[str, Any]], Awaitable[None]]
MAX_QUESTION_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Call:
    """One prepared provider call and who it is for."""

    task: Task
    question: str
    messages: list[ChatMessage]
    model: str
    campaign_id: str
    user_id: str
    guild_id: str | None
    channel_id: str


class AIService:
    """Answer campaign questions and recap sessions through one configured provider."""

    def __init__(
        self,
        settings: AISettings,
        provider: ChatProvider | None,
        *,
        reporter: Reporter,
        limits: UsageLimits,
        memory: ConversationMemory,
        unavailable_reason: str | None = None,
    ) -> None:
        self.settings = settings
        self._provider = provider
        self._reporter = reporter
        self._limits = limits
        self._memory = memory
        self._unavailable_reason = unavailable_reason

    @property
    def available(self) -> bool:
        """Tell whether a provider is configured."""
        return self._provider is not None

    def _require_provider(self) -> ChatProvider:
        if self._provider is None:
            if self._unavailable_reason:
                raise AIUnavailableError(self._unavailable_reason)
            raise AIUnavailableError()
        return self._provider

    async def ask(
        self,
        question: str,
        *,
        campaign_context: Mapping[str, Any],
        campaign_id: str,
        user_id: str,
        guild_id: str | None,
        channel_id: str,
        task: Task = "chat",
    ) -> AnswerStream:
        """Check, build the prompt and start the answer; raise `AIError` on refusal."""
        provider = self._require_provider()
        question = _checked_question(question, task)
        context = build_context(
            campaign_context, campaign_id=campaign_id, budget_tokens=self.settings.context_tokens
        )
        await self._limits.refresh(user_id, guild_id)
        self._limits.admit(user_id, guild_id)
        history = self._memory.history(campaign_id, channel_id)
        messages = chat_messages(task, question, context, history)
        call = Call(
            task=task,
            question=question,
            messages=messages,
            model=self.settings.model_for(task),
            campaign_id=campaign_id,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
        )
        return self._start(provider, call)

    async def answer(
        self,
        question: str,
        *,
        campaign_context: Mapping[str, Any],
        campaign_id: str,
        user_id: str,
        guild_id: str | None,
        channel_id: str,
        task: Task = "chat",
    ) -> Answer:
        """Answer a question in one piece (for `POST /ai/chat`), through the same pipeline."""
        stream = await self.ask(
            question,
            campaign_context=campaign_context,
            campaign_id=campaign_id,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            task=task,
        )
        return await stream.collect()

    async def recap(
        self,
        session_data: Mapping[str, Any],
        *,
        campaign_id: str,
        user_id: str,
        guild_id: str | None,
        channel_id: str,
    ) -> AnswerStream:
        """Start a recap of a session from its notes, chat and rolls."""
        provider = self._require_provider()
        context = build_recap_context(
            session_data, campaign_id=campaign_id, budget_tokens=self.settings.context_tokens
        )
        await self._limits.refresh(user_id, guild_id)
        self._limits.admit(user_id, guild_id)
        call = Call(
            task="recap",
            question="",
            messages=recap_messages(context),
            model=self.settings.model_for("recap"),
            campaign_id=campaign_id,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
        )
        return self._start(provider, call)

    def _start(self, provider: ChatProvider, call: Call) -> AnswerStream:
        chunks = provider.stream(
            call.messages, model=call.model, max_tokens=self.settings.max_tokens
        )

        async def finish(text: str, usage: Usage) -> Answer:
            return await self._finish(provider, call, text, usage)

        return AnswerStream(chunks, finish)

    async def _finish(self, provider: ChatProvider, call: Call, text: str, usage: Usage) -> Answer:
        """Remember the turn, charge its tokens and report it."""
        if call.task == "recap":
            conversation_id = f"recap_{call.campaign_id}_{call.channel_id}"
        else:
            conversation_id = self._memory.remember(
                call.campaign_id, call.channel_id, call.question, text
            )
        self._limits.charge(call.user_id, call.guild_id, usage.total_tokens)
        common = {
            "conversation_id": conversation_id,
            "task": call.task,
            "provider": provider.name,
            "model": call.model,
            "campaign_id": call.campaign_id,
            "user_id": call.user_id,
            "guild_id": call.guild_id,
            "channel_id": call.channel_id,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
        }
        usage_payload = {**common, "total_tokens": usage.total_tokens, "estimated": usage.estimated}
        turns = [{"role": "assistant", "content": text}]
        if call.question:
            turns.insert(0, {"role": "user", "content": call.question})
        await self._report("ai.usage", usage_payload)
        await self._report("ai.conversation", {**common, "messages": turns})
        return Answer(text, usage, conversation_id)

    async def _report(self, kind: str, payload: dict[str, Any]) -> None:
        # The user already has the answer; a failed report is logged, not re-raised.
        try:
            await self._reporter(kind, payload)
        except Exception:
            log.exception("could not report %s for campaign %s", kind, payload.get("campaign_id"))

    async def aclose(self) -> None:
        """Close the provider's HTTP client."""
        if self._provider is not None:
            await self._provider.aclose()


def _checked_question(question: str, task: Task) -> str:
    """Return the question stripped; raise `AIError` if empty, too long or the task unknown."""
    if task not in TASKS:
        raise AIError(f"Unknown AI task {task!r}; use one of {', '.join(TASKS)}.")
    text = question.strip()
    if not text:
        raise AIError("Ask a question: the text was empty.")
    if len(text) > MAX_QUESTION_CHARS:
        raise AIError(
            f"The question is too long ({len(text)} characters; at most {MAX_QUESTION_CHARS})."
        )
    return text
