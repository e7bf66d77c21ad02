"""The provider adapters over the real `openai` and `anthropic` SDKs, against the emulators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anthropic
import openai
import pytest

from bot.ai.errors import AIProviderError
from bot.ai.providers import (
    AnthropicProvider,
    ChatMessage,
    ChatProvider,
    OpenAIProvider,
    StreamChunk,
    TextDelta,
    Usage,
)
from tests.bot.ai.conftest import TIMEOUT
from tests.emulators.anthropic_api import AnthropicEmulator
from tests.emulators.llm_script import Answer, Fault, Hang
from tests.emulators.openai_api import OpenAIEmulator

MESSAGES = [
    ChatMessage("system", "You are a test."),
    ChatMessage("user", "Who is Mira?"),
]


@dataclass
class Case:
    """A provider under test and the emulator behind it."""

    provider: ChatProvider
    emulator: OpenAIEmulator | AnthropicEmulator


@pytest.fixture(params=["openai", "anthropic"])
def case(
    request: pytest.FixtureRequest,
) -> Case:
    if request.param == "openai":
        emulator, _ = request.getfixturevalue("openai_emulator")
        client: openai.AsyncOpenAI = request.getfixturevalue("openai_client")
        provider: ChatProvider = OpenAIProvider(
            client, max_retries=2, timeout=TIMEOUT, deadline=10, token_param="max_tokens"
        )
        return Case(provider, emulator)
    emulator, _ = request.getfixturevalue("anthropic_emulator")
    aclient: anthropic.AsyncAnthropic = request.getfixturevalue("anthropic_client")
    return Case(AnthropicProvider(aclient, max_retries=2, timeout=TIMEOUT, deadline=10), emulator)


async def drain(provider: ChatProvider, messages: Sequence[ChatMessage]) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(messages, model="m-chat", max_tokens=64)]


async def test_stream_yields_deltas_then_the_usage(case: Case) -> None:
    case.emulator.queue(Answer("Mira is the party's bard.", prompt_tokens=42, completion_tokens=7))
    chunks = await drain(case.provider, MESSAGES)
    deltas = [c.text for c in chunks if isinstance(c, TextDelta)]
    assert len(deltas) > 1
    assert "".join(deltas) == "Mira is the party's bard."
    assert chunks[-1] == Usage(42, 7)
    assert sum(isinstance(c, Usage) for c in chunks) == 1


async def test_complete_returns_text_and_usage(case: Case) -> None:
    case.emulator.queue(Answer("Mira sings.", prompt_tokens=30, completion_tokens=3))
    completion = await case.provider.complete(MESSAGES, model="m-rules", max_tokens=64)
    assert completion.text == "Mira sings."
    assert completion.usage == Usage(30, 3)
    assert completion.usage.total_tokens == 33
    call = case.emulator.calls[-1]
    assert (call.model, call.max_tokens, call.stream) == ("m-rules", 64, False)


async def test_the_request_carries_model_prompt_and_key_in_a_header(case: Case) -> None:
    await drain(case.provider, MESSAGES)
    call = case.emulator.calls[-1]
    assert call.model == "m-chat"
    assert call.max_tokens == 64
    assert call.stream
    key = case.emulator.script.api_key
    assert call.headers["authorization"] == f"Bearer {key}"
    assert not case.emulator.script.key_in_url(call)
    assert "You are a test." in call.text()
    if isinstance(case.emulator, AnthropicEmulator):
        # Anthropic takes the system prompt as a top-level field, not a message.
        assert call.system == "You are a test."
        assert [m["role"] for m in call.messages] == ["user"]
        assert "anthropic-version" in call.headers
    else:
        assert [m["role"] for m in call.messages] == ["system", "user"]
        assert call.body["stream_options"] == {"include_usage": True}


async def test_429_with_retry_after_is_retried_then_answers(case: Case) -> None:
    case.emulator.queue(Fault(429, "slow down", retry_after=0.3), Answer("Back again."))
    chunks = await drain(case.provider, MESSAGES)
    assert "".join(c.text for c in chunks if isinstance(c, TextDelta)) == "Back again."
    assert len(case.emulator.calls) == 2
    first, retry = case.emulator.calls
    assert retry.headers["x-stainless-retry-count"] == "1"
    assert retry.at - first.at >= 0.3


async def test_429_that_persists_says_when_to_try_again(case: Case) -> None:
    case.emulator.queue(*[Fault(429, "slow down", retry_after=0.05)] * 3)
    with pytest.raises(AIProviderError, match=r"rate limiting us; try again in 1 s") as caught:
        await drain(case.provider, MESSAGES)
    assert caught.value.status == 429
    assert caught.value.retry_after == pytest.approx(0.05)
    assert len(case.emulator.calls) == 3


async def test_500_is_retried_within_bounds_then_fails_clearly(case: Case) -> None:
    case.emulator.queue(*[Fault(500, "boom", retry_after=0.05)] * 5)
    with pytest.raises(AIProviderError, match=r"failing \(HTTP 500\) after 3 attempt") as caught:
        await drain(case.provider, MESSAGES)
    assert isinstance(caught.value.__cause__, openai.APIError | anthropic.APIError)
    assert len(case.emulator.calls) == 3
    assert len(case.emulator.script.steps) == 2


async def test_a_500_then_an_answer_succeeds(case: Case) -> None:
    case.emulator.queue(Fault(503, retry_after=0.05), Answer("Recovered."))
    completion = await case.provider.complete(MESSAGES, model="m", max_tokens=10)
    assert completion.text == "Recovered."


async def test_a_hung_connection_times_out_and_fails_clearly(case: Case) -> None:
    case.emulator.queue(Hang(), Hang(), Hang())
    with pytest.raises(AIProviderError, match="did not answer in time after 3 attempt"):
        await drain(case.provider, MESSAGES)
    assert len(case.emulator.calls) == 3


async def test_a_hung_connection_then_an_answer_succeeds(case: Case) -> None:
    case.emulator.queue(Hang(), Answer("Sorry, I dozed off."))
    completion = await case.provider.complete(MESSAGES, model="m", max_tokens=10)
    assert completion.text == "Sorry, I dozed off."
    assert len(case.emulator.calls) == 2


async def test_a_stream_that_hangs_midway_fails_clearly_after_the_partial_text(
    case: Case,
) -> None:
    case.emulator.queue(Hang(partial="Mira is"))
    received: list[StreamChunk] = []

    async def consume() -> None:
        async for chunk in case.provider.stream(MESSAGES, model="m", max_tokens=10):
            received.append(chunk)

    with pytest.raises(AIProviderError, match="stopped answering midway"):
        await consume()
    assert all(isinstance(c, TextDelta) for c in received)
    assert "".join(c.text for c in received if isinstance(c, TextDelta)) == "Mira is"


async def test_the_overall_deadline_caps_retries(
    openai_emulator: tuple[OpenAIEmulator, str], openai_client: openai.AsyncOpenAI
) -> None:
    emulator, _ = openai_emulator
    provider = OpenAIProvider(openai_client, max_retries=5, timeout=TIMEOUT, deadline=0.3)
    emulator.queue(Fault(429, retry_after=2), Answer("too late"))
    with pytest.raises(AIProviderError, match="did not answer in time"):
        await drain(provider, MESSAGES)
    assert len(emulator.calls) == 1


async def test_openai_sends_max_completion_tokens_to_openai_itself(
    openai_emulator: tuple[OpenAIEmulator, str], openai_client: openai.AsyncOpenAI
) -> None:
    emulator, _ = openai_emulator
    provider = OpenAIProvider(openai_client, token_param="max_completion_tokens")
    await drain(provider, MESSAGES)
    assert emulator.calls[-1].body["max_completion_tokens"] == 64
    assert "max_tokens" not in emulator.calls[-1].body


async def test_a_wrong_key_is_reported_without_the_key(case: Case) -> None:
    case.emulator.script.api_key = "sk-another-key"
    with pytest.raises(AIProviderError, match="refused our API key") as caught:
        await drain(case.provider, MESSAGES)
    assert "sk-" not in str(caught.value)
    assert len(case.emulator.calls) == 1
