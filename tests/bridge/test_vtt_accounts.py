"""Pairing, tokens, stream tickets and revocation over real HTTP."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette

from bridge.links import unlink_user
from bridge.pairing import create_pairing_code
from core_client import Outbox
from storage.models.chat import ChatMessage as StoredChat
from storage.models.users import VttAccount
from tests.bridge.conftest import Bridge, link
from tests.support.core import rows


async def test_a_pairing_code_links_once_and_the_token_is_stored_hashed(bridge: Bridge) -> None:
    code = await create_pairing_code(bridge.store, "u1", "c1", ["g1", "g2"], gm=True, ttl=600.0)
    body = {"code": code.code.lower(), "platform": "foundry", "player_id": "p1"}
    first = await bridge.http.post(f"{bridge.url}/vtt/accounts/link", json=body)
    again = await bridge.http.post(f"{bridge.url}/vtt/accounts/link", json=body)
    assert first.status_code == 201
    data = first.json()
    assert data["token"].startswith("fbt_")
    assert (data["games"], data["gm"], data["platform"]) == (["g1", "g2"], True, "foundry")
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_pairing_code"
    assert data["token"] not in repr(bridge.memory_store._data)  # only its hash is kept


async def test_an_expired_code_is_refused(bridge: Bridge) -> None:
    code = await create_pairing_code(bridge.store, "u1", "c1", ["g1"], ttl=0.01)
    await asyncio.sleep(0.05)
    body = {"code": code.code, "platform": "roll20", "player_id": "p1"}
    response = await bridge.http.post(f"{bridge.url}/vtt/accounts/link", json=body)
    assert response.json()["error"]["code"] == "invalid_pairing_code"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "X", "platform": "discord", "player_id": "p"}, "platform"),
        ({"code": "X", "platform": "roll20"}, "player_id"),
        ({"code": "X", "platform": "roll20", "player_id": "p", "extra": 1}, "extra"),
        ([], "body"),
    ],
)
async def test_link_requests_are_strict(bridge: Bridge, body: object, field: str) -> None:
    response = await bridge.http.post(f"{bridge.url}/vtt/accounts/link", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


async def test_the_token_goes_in_the_header_only(bridge: Bridge) -> None:
    client = await link(bridge, "alice")
    me = await bridge.http.get(f"{bridge.url}/vtt/accounts/me", headers=client.auth)
    assert me.json()["user_id"] == "alice"
    in_url = await bridge.http.get(f"{bridge.url}/vtt/stream?token={client.token}")
    assert (in_url.status_code, in_url.json()["error"]["code"]) == (422, "token_in_url")
    bare = await bridge.http.get(f"{bridge.url}/vtt/accounts/me")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"].startswith("Bearer")
    assert bare.json()["error"]["code"] == "missing_token"


async def test_a_stream_ticket_works_once(bridge: Bridge) -> None:
    client = await link(bridge, "alice")
    ticket = (await client.post("/vtt/stream-tickets", {})).json()["ticket"]
    url = f"{bridge.url}/vtt/stream?ticket={ticket}"
    async with bridge.http.stream("GET", url) as first:
        assert first.status_code == 200
    second = await bridge.http.get(url)
    assert (second.status_code, second.json()["error"]["code"]) == (401, "invalid_ticket")


async def test_revoking_a_token_closes_its_stream_at_once(bridge: Bridge) -> None:
    client = await link(bridge, "alice")
    async with client.stream() as sse:
        response = await bridge.http.delete(f"{bridge.url}/vtt/accounts/link", headers=client.auth)
        assert response.json()["revoked"] is True
        message = await sse.next(timeout=2)
        assert message.event == "stream.revoked"
        with pytest.raises(EOFError):
            await sse.next(timeout=2)
    refused = await client.post("/vtt/stream-tickets", {})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_revoked")


async def test_discord_unlink_revokes_every_token_and_tells_the_game(
    bridge: Bridge, outbox: Outbox
) -> None:
    alice = await link(bridge, "alice")
    gm = await link(bridge, "gm", platform="foundry", gm=True)
    async with alice.stream() as alice_sse, gm.stream() as gm_sse:
        revoked = await unlink_user(bridge.store, bridge.bus, outbox, "alice", "c1")
        assert [g.user_id for g in revoked] == ["alice"]
        assert (await alice_sse.next()).event == "stream.revoked"
        note = await gm_sse.next()
    assert note.event == "link"
    assert note.json()["link"]["action"] == "unlinked"
    assert note.json()["link"]["user_id"] == "alice"
    assert (await alice.post("/vtt/chat", {"game_id": "g1", "text": "hi"})).status_code == 401


async def test_links_unlinks_and_chat_reach_core(
    bridge: Bridge, outbox: Outbox, core_app: Starlette
) -> None:
    alice = await link(bridge, "1001", platform="beyond20")
    await alice.post("/vtt/chat", {"game_id": "g1", "text": "hello from the sheet"})
    assert await outbox.flush()
    [account] = await rows(core_app, VttAccount)
    assert (account.platform, account.platform_user_id) == ("dndbeyond", "beyond20-1001")
    [chat] = await rows(core_app, StoredChat)
    assert chat.text == "hello from the sheet"
    await unlink_user(bridge.store, bridge.bus, outbox, "1001", "c1")
    assert await outbox.flush()
    assert await outbox.dead_letters() == []
