"""The /vtt/stream: ids, resume, the not-recovered signal, heartbeats, limits, CORS."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from bridge.app import close_streams
from bridge.settings import BridgeSettings
from tests.bridge.conftest import SETTINGS, Bridge, Client, link


@pytest.fixture
def bridge_settings() -> BridgeSettings:
    return dataclasses.replace(
        SETTINGS, heartbeat_seconds=0.2, rate_burst=40, rate_per_second=0.5, max_body_bytes=4096
    )


async def say(client: Client, *texts: str) -> None:
    for text in texts:
        response = await client.post("/vtt/chat", {"game_id": "g1", "text": text})
        assert response.status_code == 202, response.text


async def test_a_client_resumes_after_its_last_event_id(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="roll20")
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream() as sse:
        await say(alice, "one")
        first = await sse.next()
    assert first.id
    await say(alice, "two", "three")
    async with mira.stream(last_event_id=first.id) as sse:
        missed = [(await sse.next()) for _ in range(2)]
    assert [m.json()["chat"]["text"] for m in missed] == ["two", "three"]
    async with mira.stream(last_event_id=missed[0].id, in_query=True) as fresh:
        assert (await fresh.next()).json()["chat"]["text"] == "three"
    assert all(m.id for m in missed)
    assert sse.retry == 3000


async def test_a_resume_point_too_old_gets_the_not_recovered_signal(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="roll20")
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream() as sse:
        await say(alice, "zero")
        first = await sse.next()
    await say(alice, *[f"m{i}" for i in range(7)])  # the history keeps 5 per game
    async with mira.stream(last_event_id=first.id) as sse:
        reset = await sse.next()
        kept = [(await sse.next()).json()["chat"]["text"] for _ in range(5)]
    assert reset.event == "stream.reset"
    assert reset.json()["recovered"] is False
    assert reset.json()["last_event_id"] == first.id
    assert kept == ["m2", "m3", "m4", "m5", "m6"]


async def test_heartbeats_keep_the_stream_alive(bridge: Bridge) -> None:
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream() as sse:
        # Read until a ping comes (every 0.2 s here); no event may come meanwhile.
        # The bound is generous: a loaded CI machine once stalled past 0.7 s.
        deadline = time.monotonic() + 5
        while not any(c.startswith("ping") for c in sse.comments):
            assert time.monotonic() < deadline, "no heartbeat within 5 s"
            with pytest.raises(TimeoutError):
                await sse.next(timeout=0.3)


async def test_rate_limits_answer_429_with_retry_after(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    responses = await asyncio.gather(
        *[alice.post("/vtt/chat", {"game_id": "g1", "text": str(i)}) for i in range(45)]
    )
    limited = [r for r in responses if r.status_code == 429]
    assert limited
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"
    other = await link(bridge, "bob")  # buckets are per token
    assert (await other.post("/vtt/chat", {"game_id": "g1", "text": "x"})).status_code == 202


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/vtt/chat", {"game_id": "g1", "text": "x" * 5000}, 413, "body_too_large"),
        ("/vtt/chat", {"game_id": "g1", "text": "x" * 2001}, 422, "invalid_request"),
        ("/vtt/chat", {"game_id": "g1"}, 422, "invalid_request"),
        ("/vtt/chat", {"game_id": "g2", "text": "x"}, 403, "game_not_linked"),
        ("/vtt/rolls", {"game_id": "g1", "items": []}, 422, "invalid_request"),
        ("/vtt/rolls", {"game_id": "g1"}, 422, "invalid_request"),
    ],
)
async def test_every_refusal_is_a_clear_json_error(
    bridge: Bridge, path: str, body: object, status: int, code: str
) -> None:
    alice = await link(bridge, "alice")
    response = await alice.post(path, body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


async def test_invalid_json_is_refused(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    response = await bridge.http.post(
        f"{bridge.url}/vtt/chat",
        content=b"{nope",
        headers={**alice.auth, "content-type": "application/json"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_json")


async def test_cors_is_open_to_configured_extension_origins_only(bridge: Bridge) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }

    ok = await bridge.http.options(
        f"{bridge.url}/vtt/rolls", headers=preflight("https://app.roll20.net")
    )
    evil = await bridge.http.options(
        f"{bridge.url}/vtt/rolls", headers=preflight("https://evil.example")
    )
    assert ok.headers["access-control-allow-origin"] == "https://app.roll20.net"
    assert "access-control-allow-origin" not in evil.headers


async def test_shutdown_closes_streams_and_refuses_new_ones(bridge: Bridge) -> None:
    mira = await link(bridge, "mira", platform="foundry")
    assert bridge.app is not None
    async with mira.stream() as sse:
        assert close_streams(bridge.app) == 1
        with pytest.raises(EOFError):
            await sse.next(timeout=2)
    ticket = (await mira.post("/vtt/stream-tickets", {})).json()["ticket"]
    response = await bridge.http.get(f"{bridge.url}/vtt/stream?ticket={ticket}")
    assert (response.status_code, response.json()["error"]["code"]) == (503, "shutting_down")
    assert response.headers["retry-after"] == "2"
