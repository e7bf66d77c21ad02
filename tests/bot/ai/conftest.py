"""Fixtures for the AI tests: the LLM emulators on loopback and the real SDKs pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest

from tests.emulators.anthropic_api import AnthropicEmulator
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.servers import serve

# Short so that the hung-connection tests stay fast, yet well above what the
# emulator takes under a loaded CI box: at 0.3 s a first call sometimes timed
# out and was retried, and tests counting the emulator's calls saw two.
TIMEOUT = 1.0


class FakeClock:
    """A clock the test moves by hand, in epoch seconds."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class Reports:
    """A reporter that keeps what the service reports, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        self.items.append((kind, payload))

    def of(self, kind: str) -> list[dict[str, Any]]:
        """Return the payloads of one kind."""
        return [payload for k, payload in self.items if k == kind]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def reports() -> Reports:
    return Reports()


# `openai_emulator` comes from tests/bot/conftest.py.


@pytest.fixture
async def anthropic_emulator() -> AsyncIterator[tuple[AnthropicEmulator, str]]:
    emulator = AnthropicEmulator()
    async with serve(emulator.app) as url:
        try:
            yield emulator, url
        finally:
            emulator.release()


@pytest.fixture
async def openai_client(
    openai_emulator: tuple[OpenAIEmulator, str],
) -> AsyncIterator[openai.AsyncOpenAI]:
    emulator, url = openai_emulator
    client = openai.AsyncOpenAI(
        base_url=f"{url}/v1", api_key=emulator.script.api_key, max_retries=2, timeout=TIMEOUT
    )
    async with client:
        yield client


@pytest.fixture
async def anthropic_client(
    anthropic_emulator: tuple[AnthropicEmulator, str],
) -> AsyncIterator[anthropic.AsyncAnthropic]:
    emulator, url = anthropic_emulator
    client = anthropic.AsyncAnthropic(
        base_url=url, api_key=emulator.script.api_key, max_retries=2, timeout=TIMEOUT
    )
    async with client:
        yield client
