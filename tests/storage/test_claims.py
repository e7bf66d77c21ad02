"""A VTT game id and a Discord channel belong to one campaign at a time (`storage.claims`).

Two keys, each scoped to its own campaign, try to take each other's routing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import httpx2
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from core_client import CampaignUpserted, CoreClient, GameLinkUpserted, Platform, RollRecord
from core_client.contract import DiceGroup, Die, Event, EventType, codec
from storage.models import GameLink
from storage.settings import ApiKeyGrant, CoreSettings
from tests.support.core import stored_rolls

KEY_A, KEY_B = "key-for-table-a", "key-for-table-b"


@pytest.fixture
def core_settings(core_settings: CoreSettings) -> CoreSettings:
    """Core with two keys, each scoped to one table."""
    grants = (ApiKeyGrant(KEY_A, ("table-a",)), ApiKeyGrant(KEY_B, ("table-b",)))
    return dataclasses.replace(core_settings, scoped_api_keys=grants)


@pytest.fixture
async def tables(core_client: CoreClient) -> tuple[str, str]:
    await core_client.deliver(
        [
            CampaignUpserted(key="table-a", name="A").event(),
            CampaignUpserted(key="table-b", name="B").event(),
        ]
    )
    a, b = (
        await core_client.campaign_by_key("table-a"),
        await core_client.campaign_by_key("table-b"),
    )
    assert a is not None
    assert b is not None
    return a["id"], b["id"]


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _link(
    http: httpx2.AsyncClient, key: str, campaign: str, **fields: Any
) -> httpx2.Response:
    return await http.post(f"/campaigns/{campaign}/game-links", json=fields, headers=_as(key))


def _refused(response: httpx2.Response, field: str, holder: str) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "already_claimed"
    assert error["field"] == field
    assert error["held_by"] == holder


@pytest.mark.parametrize(
    ("field", "value"), [("vtt_game_id", "roll20-4242"), ("discord_channel_id", "900100")]
)
async def test_claiming_what_another_campaign_holds_is_409_naming_the_holder(
    core_http: httpx2.AsyncClient, tables: tuple[str, str], field: str, value: str
) -> None:
    a, b = tables
    assert (await _link(core_http, KEY_A, a, **{field: value})).status_code == 201
    _refused(await _link(core_http, KEY_B, b, **{field: value}), field, a)
    # Nor can B take it by updating a link of its own.
    own = await _link(core_http, KEY_B, b, **{field: f"{value}-b"})
    assert own.status_code == 201
    body = {"version": own.json()["version"], field: value}
    patched = await core_http.patch(
        f"/game-links/{own.json()['id']}", json=body, headers=_as(KEY_B)
    )
    _refused(patched, field, a)
    # A's own campaign may name it again (two channels of one table, one game).
    assert (await _link(core_http, KEY_A, a, **{field: value})).status_code == 201


async def test_an_unbound_game_can_be_claimed_and_the_old_holder_cannot_restore_it(
    core_http: httpx2.AsyncClient, tables: tuple[str, str]
) -> None:
    a, b = tables
    link = (await _link(core_http, KEY_A, a, vtt_game_id="foundry-7")).json()
    archive = {"version": link["version"], "archived": True}
    archived = await core_http.patch(f"/game-links/{link['id']}", json=archive, headers=_as(KEY_A))
    assert archived.status_code == 200
    assert (await _link(core_http, KEY_B, b, vtt_game_id="foundry-7")).status_code == 201
    restore = {"version": archived.json()["version"], "archived": False}
    restored = await core_http.patch(f"/game-links/{link['id']}", json=restore, headers=_as(KEY_A))
    _refused(restored, "vtt_game_id", b)


async def test_two_racing_claims_of_one_game_let_one_campaign_win(
    core_http: httpx2.AsyncClient, core_app: Starlette, tables: tuple[str, str]
) -> None:
    a, b = tables
    answers = await asyncio.gather(
        _link(core_http, KEY_A, a, vtt_game_id="race-1"),
        _link(core_http, KEY_B, b, vtt_game_id="race-1"),
    )
    assert sorted(r.status_code for r in answers) in ([201, 409], [201, 503])
    async with core_app.state.sessions() as session:
        live = (await session.scalars(_live("race-1"))).all()
    assert len(live) == 1


def _live(game_id: str) -> Any:
    return select(GameLink).where(GameLink.vtt_game_id == game_id, GameLink.archived_at.is_(None))


def _vtt_roll(game_id: str) -> Event:
    record = RollRecord(
        platform=Platform.ROLL20,
        campaign_id="roll20-unknown-key",
        game_id=game_id,
        formula="1d20",
        total=7,
        groups=(DiceGroup("1d20", 20, (Die(20, 7),), subtotal=7),),
    )
    return Event(EventType.ROLL_RECORDED, codec.to_builtins(record))


async def test_a_roll_known_by_its_game_goes_to_the_campaign_holding_it(
    core_http: httpx2.AsyncClient,
    core_client: CoreClient,
    core_app: Starlette,
    tables: tuple[str, str],
) -> None:
    a, b = tables
    assert (await _link(core_http, KEY_A, a, vtt_game_id="g-1")).status_code == 201
    assert (await _link(core_http, KEY_B, b, vtt_game_id="g-1")).status_code == 409
    await core_client.deliver([_vtt_roll("g-1")])
    (roll,) = await stored_rolls(core_app)
    assert str(roll.campaign_id) == a
    seen_by_b = await core_http.get("/rolls", headers=_as(KEY_B))
    assert seen_by_b.json()["rolls"] == []


async def test_a_game_linked_to_two_campaigns_by_older_data_attributes_to_neither(
    core_client: CoreClient, core_app: Starlette, tables: tuple[str, str]
) -> None:
    async with core_app.state.sessions.begin() as session:
        for campaign in tables:  # written behind the API's back, as before the rule
            session.add(
                GameLink(id=uuid.uuid4(), campaign_id=uuid.UUID(campaign), vtt_game_id="g-2")
            )
    await core_client.deliver([_vtt_roll("g-2")])
    (roll,) = await stored_rolls(core_app)
    assert roll.campaign_id is None


async def test_a_report_linking_a_held_game_is_refused_alone(
    core_http: httpx2.AsyncClient, core_client: CoreClient, tables: tuple[str, str]
) -> None:
    a, _ = tables
    assert (await _link(core_http, KEY_A, a, vtt_game_id="g-3")).status_code == 201
    receipt = await core_client.deliver(
        [
            GameLinkUpserted(campaign_id="table-b", game_id="g-3").event(),
            GameLinkUpserted(campaign_id="table-b", game_id="g-4").event(),
        ]
    )
    assert receipt.accepted == 1
    (refused,) = receipt.refused
    assert (refused.index, refused.field) == (0, "data.game_id")
    assert a in refused.reason
    listed = await core_http.get("/game-links", headers=_as(KEY_B))
    assert [link["vtt_game_id"] for link in listed.json()["game_links"]] == ["g-4"]
