"""The LLM emulators on the wire: formats, auth, validation and faults, seen with raw HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from tests.emulators.anthropic_api import AnthropicEmulator
from tests.emulators.llm_script import Answer, Fault
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.servers import serve

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Hello there"}]}
MESSAGES = {**CHAT, "max_tokens": 50}


@pytest.fixture
async def openai_http() -> AsyncIterator[tuple[OpenAIEmulator, httpx2.AsyncClient]]:
    emulator = OpenAIEmulator()
    headers = {"authorization": f"Bearer {emulator.script.api_key}"}
    async with (
        serve(emulator.app) as url,
        httpx2.AsyncClient(base_url=url, headers=headers) as http,
    ):
        yield emulator, http


@pytest.fixture
async def anthropic_http() -> AsyncIterator[tuple[AnthropicEmulator, httpx2.AsyncClient]]:
    emulator = AnthropicEmulator()
    headers = {"x-api-key": emulator.script.api_key, "anthropic-version": "2023-06-01"}
    async with (
        serve(emulator.app) as url,
        httpx2.AsyncClient(base_url=url, headers=headers) as http,
    ):
        yield emulator, http


def sse_data(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


async def test_openai_stream_ends_with_a_usage_chunk_then_done(
    openai_http: tuple[OpenAIEmulator, httpx2.AsyncClient],
) -> None:
    emulator, http = openai_http
    emulator.queue(Answer("Hi there!", prompt_tokens=3, completion_tokens=2, chunk_size=4))
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    response = await http.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    data = sse_data(response.text)
    assert data[-1] == "[DONE]"
    chunks: list[dict[str, Any]] = [json.loads(d) for d in data[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hi there!"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert all(c["usage"] is None for c in chunks[:-1])


async def test_openai_stream_without_include_usage_has_no_usage(
    openai_http: tuple[OpenAIEmulator, httpx2.AsyncClient],
) -> None:
    _, http = openai_http
    response = await http.post("/v1/chat/completions", json={**CHAT, "stream": True})
    chunks = [json.loads(d) for d in sse_data(response.text)[:-1]]
    assert all("usage" not in c and c["choices"] for c in chunks)


async def test_openai_errors_have_the_openai_shape(
    openai_http: tuple[OpenAIEmulator, httpx2.AsyncClient],
) -> None:
    emulator, http = openai_http
    emulator.queue(Fault(429, "Rate limit reached", retry_after=7))
    response = await http.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": []})
    assert response.status_code == 400
    response = await http.post("/v1/chat/completions", json=CHAT, headers={"authorization": "x"})
    assert response.status_code == 401
    assert len(emulator.calls) == 3


async def test_anthropic_stream_events_come_in_order(
    anthropic_http: tuple[AnthropicEmulator, httpx2.AsyncClient],
) -> None:
    emulator, http = anthropic_http
    emulator.queue(Answer("Hello, adventurer!", prompt_tokens=9, completion_tokens=4))
    response = await http.post("/v1/messages", json={**MESSAGES, "stream": True})
    events = [line[7:] for line in response.text.splitlines() if line.startswith("event: ")]
    kinds = [kind for kind in events if kind != "ping"]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert set(kinds[2:-3]) == {"content_block_delta"}
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert "ping" in events
    payloads = [json.loads(d) for d in sse_data(response.text)]
    assert payloads[0]["message"]["usage"]["input_tokens"] == 9
    delta = next(p for p in payloads if p["type"] == "message_delta")
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"] == {"output_tokens": 4}


async def test_anthropic_errors_and_validation(
    anthropic_http: tuple[AnthropicEmulator, httpx2.AsyncClient],
) -> None:
    emulator, http = anthropic_http
    emulator.queue(Fault(529, "Overloaded"))
    response = await http.post("/v1/messages", json=MESSAGES)
    assert response.status_code == 529
    assert response.json() == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    system_in_messages = {**MESSAGES, "messages": [{"role": "system", "content": "x"}]}
    assert (await http.post("/v1/messages", json=system_in_messages)).status_code == 400
    assert (await http.post("/v1/messages", json=CHAT)).status_code == 400  # no max_tokens
    no_version = await http.post("/v1/messages", json=MESSAGES, headers={"anthropic-version": ""})
    assert no_version.status_code == 400
    wrong_key = await http.post("/v1/messages", json=MESSAGES, headers={"x-api-key": "nope"})
    assert wrong_key.status_code == 401
    assert wrong_key.json()["error"]["type"] == "authentication_error"


async def test_a_key_in_the_url_is_detected(
    anthropic_http: tuple[AnthropicEmulator, httpx2.AsyncClient],
) -> None:
    emulator, http = anthropic_http
    await http.post(f"/v1/messages?key={emulator.script.api_key}", json=MESSAGES)
    assert emulator.script.key_in_url(emulator.calls[-1])
