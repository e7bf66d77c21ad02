"""The inject lease: one extension per game writes Discord's side into the VTT."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bridge.settings import BridgeSettings
from tests.bridge.conftest import SETTINGS, Bridge, Client, link

TTL = 0.6


@pytest.fixture
def bridge_settings() -> BridgeSettings:
    # The setting's floor is 3 s; a test lease lapses faster, so it is built past the check.
    return dataclasses.replace(SETTINGS, inject_lease_seconds=TTL)


async def ask(client: Client, client_id: str, game_id: str = "g1") -> dict[str, object]:
    response = await client.post("/vtt/inject-lease", {"game_id": game_id, "client_id": client_id})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


async def release(client: Client, client_id: str) -> dict[str, object]:
    response = await client.bridge.http.request(
        "DELETE",
        client.bridge.url + "/vtt/inject-lease",
        json={"game_id": "g1", "client_id": client_id},
        headers=client.auth,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_first_asker_holds_the_lease_and_others_are_told_who(bridge: Bridge) -> None:
    alice, bob = await link(bridge, "alice"), await link(bridge, "bob")
    assert await ask(alice, "alice-tab-1") == {
        "holder": True,
        "holder_client_id": "alice-tab-1",
        "expires_in": TTL,
    }
    told = await ask(bob, "bob-tab-01")
    assert told["holder"] is False
    assert told["holder_client_id"] == "alice-tab-1"
    assert 0 < float(str(told["expires_in"])) <= TTL
    assert (await ask(alice, "alice-tab-1"))["holder"] is True  # renewing keeps it


async def test_simultaneous_askers_get_one_holder(bridge: Bridge) -> None:
    clients = [await link(bridge, f"p{n}") for n in range(6)]
    answers = await asyncio.gather(*(ask(c, f"client-{n:04d}") for n, c in enumerate(clients)))
    assert sum(1 for a in answers if a["holder"]) == 1
    assert len({a["holder_client_id"] for a in answers}) == 1


async def test_a_lease_not_renewed_moves_to_the_next_asker(bridge: Bridge) -> None:
    alice, bob = await link(bridge, "alice"), await link(bridge, "bob")
    assert (await ask(alice, "alice-tab-1"))["holder"] is True
    assert (await ask(bob, "bob-tab-01"))["holder"] is False
    await asyncio.sleep(TTL + 0.2)
    assert (await ask(bob, "bob-tab-01"))["holder"] is True
    assert (await ask(alice, "alice-tab-1"))["holder"] is False


async def test_a_released_lease_goes_to_the_next_asker_at_once(bridge: Bridge) -> None:
    alice, bob = await link(bridge, "alice"), await link(bridge, "bob")
    await ask(alice, "alice-tab-1")
    assert await release(bob, "alice-tab-1") == {"released": False}  # not bob's to give up
    assert (await ask(bob, "bob-tab-01"))["holder"] is False
    assert await release(alice, "alice-tab-1") == {"released": True}
    assert (await ask(bob, "bob-tab-01"))["holder"] is True


async def test_another_token_cannot_renew_with_the_holders_client_id(bridge: Bridge) -> None:
    alice, mallory = await link(bridge, "alice"), await link(bridge, "mallory")
    await ask(alice, "alice-tab-1")
    assert (await ask(mallory, "alice-tab-1"))["holder"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"game_id": "g1"}, "client_id"),
        ({"game_id": "g1", "client_id": "short"}, "client_id"),
        ({"game_id": "g1", "client_id": "has spaces in it"}, "client_id"),
        ({"client_id": "alice-tab-1"}, "game_id"),
        ({"game_id": "g1", "client_id": "alice-tab-1", "extra": 1}, "extra"),
    ],
)
async def test_a_bad_lease_request_is_refused_naming_the_field(
    bridge: Bridge, body: dict[str, object], field: str
) -> None:
    alice = await link(bridge, "alice")
    response = await alice.post("/vtt/inject-lease", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


async def test_a_lease_for_a_game_the_token_does_not_cover_is_forbidden(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    response = await alice.post("/vtt/inject-lease", {"game_id": "g9", "client_id": "alice-tab-1"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "game_not_linked"


async def test_the_lease_needs_a_token(bridge: Bridge) -> None:
    body = {"game_id": "g1", "client_id": "alice-tab-1"}
    response = await bridge.http.post(bridge.url + "/vtt/inject-lease", json=body)
    assert response.status_code == 401
