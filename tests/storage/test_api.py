"""Core's query API through the SDK: keys and scoping, context, writes, locking, errors."""

from __future__ import annotations

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import (
    ApiError,
    AuthError,
    CampaignUpserted,
    CharacterUpserted,
    ConflictError,
    CoreClient,
    NotFoundError,
    Platform,
    SessionEnded,
    SessionNote,
    SessionStarted,
)
from tests.support.core import SCOPED_KEY, client_with_key, d20_roll


async def _two_campaigns(client: CoreClient) -> tuple[str, str]:
    await client.deliver(
        [
            CampaignUpserted(key="guild:1", name="Mine").event(),
            CampaignUpserted(key="guild:2", name="Theirs").event(),
            d20_roll(3, "guild:1"),
            d20_roll(4, "guild:2"),
            d20_roll(5, "dm:9"),
        ]
    )
    mine, theirs = await client.campaign_by_key("guild:1"), await client.campaign_by_key("guild:2")
    assert mine is not None
    assert theirs is not None
    return mine["id"], theirs["id"]


async def test_requests_without_a_known_key_are_refused(core_http: httpx2.AsyncClient) -> None:
    for headers in [{}, {"authorization": "Bearer nope"}, {"authorization": "Basic x"}]:
        for method, path, body in [("GET", "/campaigns", None), ("POST", "/campaigns", b"{bad")]:
            response = await core_http.request(method, path, content=body, headers=headers)
            assert response.status_code == 401, (method, headers)
            assert response.json()["error"]["code"] == "unauthorized"


async def test_a_scoped_key_sees_only_its_campaigns(
    core_client: CoreClient, core_http: httpx2.AsyncClient
) -> None:
    mine, theirs = await _two_campaigns(core_client)
    scoped = client_with_key(core_http, SCOPED_KEY)
    assert [c["id"] for c in (await scoped.list_campaigns())["campaigns"]] == [mine]
    assert (await scoped.get_campaign(mine))["name"] == "Mine"
    with pytest.raises(NotFoundError):
        await scoped.get_campaign(theirs)
    with pytest.raises(NotFoundError):
        await scoped.campaign_context(theirs)
    with pytest.raises(NotFoundError):
        await scoped.update_campaign(theirs, 1, name="Stolen")
    assert [r["campaign_key"] for r in (await scoped.rolls())["rolls"]] == ["guild:1"]
    assert (await scoped.rolls(campaign_id=theirs))["rolls"] == []
    assert {c["campaign_id"] for c in (await scoped.changes())["changes"]} == {mine}
    with pytest.raises(AuthError):
        await scoped.create_campaign(name="New")
    # The service key sees everything, rolls of unknown campaigns included.
    assert len((await core_client.rolls())["rolls"]) == 3


async def test_campaign_context_has_everything_in_one_call(core_client: CoreClient) -> None:
    await core_client.deliver(
        [
            CampaignUpserted(key="guild:1", name="Strahd").event(),
            CharacterUpserted("Ireena", Platform.DISCORD, campaign_id="guild:1").event(),
            SessionStarted(session_id="s1", campaign_id="guild:1").event(),
            SessionNote(session_id="s1", text="Met the Burgomaster").event(),
            *[d20_roll(v) for v in (2, 12, 20)],
        ]
    )
    campaign = await core_client.campaign_by_key("guild:1")
    assert campaign is not None
    context = await core_client.campaign_context(campaign["id"], recent_rolls=2)
    assert context["campaign"]["name"] == "Strahd"
    assert [c["name"] for c in context["characters"]] == ["Ireena"]
    assert len(context["recent_rolls"]) == 2
    assert context["open_session"] is not None
    assert [n["text"] for n in context["notes"]] == ["Met the Burgomaster"]
    await core_client.deliver([SessionEnded("s1").event()])
    after = await core_client.campaign_context(campaign["id"])
    assert after["open_session"] is None
    assert after["last_session"] is not None
    assert [n["text"] for n in after["notes"]] == ["Met the Burgomaster"]


async def test_writes_bump_the_version_and_a_stale_version_gets_409(
    core_client: CoreClient,
) -> None:
    campaign = await core_client.create_campaign(name="One", external_key="k1")
    assert campaign["version"] == 1
    renamed = await core_client.update_campaign(campaign["id"], 1, name="Two")
    assert renamed["version"] == 2
    with pytest.raises(ConflictError) as info:
        await core_client.update_campaign(campaign["id"], 1, name="Three")
    assert (info.value.status, info.value.current_version) == (409, 2)
    archived = await core_client.update_campaign(campaign["id"], 2, archived=True)
    assert archived["archived_at"] is not None
    restored = await core_client.update_campaign(campaign["id"], 3, archived=False)
    assert (restored["archived_at"], restored["name"], restored["version"]) == (None, "Two", 4)


async def test_a_taken_external_key_is_a_conflict(core_client: CoreClient) -> None:
    await core_client.create_campaign(name="A", external_key="guild:7")
    other = await core_client.create_campaign(name="B")
    for attempt in (
        core_client.create_campaign(name="C", external_key="guild:7"),
        core_client.update_campaign(other["id"], 1, external_key="guild:7"),
    ):
        with pytest.raises(ApiError) as info:
            await attempt
        assert (info.value.status, info.value.code) == (409, "duplicate_key")


async def test_characters_links_and_sessions_can_be_written(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="C")
    character = await core_client.create_character(
        campaign["id"], name="Ezmerelda", stats={"hp": 30}
    )
    character = await core_client.update_character(character["id"], 1, stats={"hp": 25})
    assert (character["stats"], character["version"]) == ({"hp": 25}, 2)
    link = await core_client.create_game_link(campaign["id"], platform="foundry", vtt_game_id="w1")
    link = await core_client.update_game_link(link["id"], 1, sync_chat=False)
    assert (link["sync_chat"], link["sync_rolls"]) == (False, True)
    session = await core_client.start_session(campaign["id"], title="Session 1")
    session = await core_client.add_session_note(session["id"], 1, "A note", author="GM")
    session = await core_client.update_session(session["id"], 2, ended_at=1_900_000_000.0)
    assert (session["version"], [n["text"] for n in session["notes"]]) == (3, ["A note"])
    assert session["ended_at"] is not None
    with pytest.raises(ConflictError):
        await core_client.update_session(session["id"], 2, title="late")


async def test_a_write_race_lets_exactly_one_writer_win(core_client: CoreClient) -> None:
    import asyncio

    campaign = await core_client.create_campaign(name="Race")
    results = await asyncio.gather(
        *(core_client.update_campaign(campaign["id"], 1, name=f"W{i}") for i in range(4)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, dict))


async def test_refusals_are_clear_json(
    core_http: httpx2.AsyncClient, core_api_key: str, core_app: Starlette
) -> None:
    auth = {"authorization": f"Bearer {core_api_key}", "content-type": "application/json"}
    big = b'{"name": "' + b"x" * 300_000 + b'"}'
    cases: list[tuple[str, str, bytes | None, int, str]] = [
        ("GET", "/nowhere", None, 404, "not_found"),
        ("GET", "/campaigns/not-a-uuid", None, 404, "not_found"),
        ("GET", "/rolls?limit=0", None, 400, "invalid_parameter"),
        ("GET", "/rolls?limit=501", None, 400, "invalid_parameter"),
        ("GET", "/rolls?cursor=%%%", None, 400, "invalid_cursor"),
        ("GET", "/rolls?user_id=bob", None, 400, "invalid_parameter"),
        ("GET", "/rolls?since=yesterday", None, 400, "invalid_parameter"),
        ("GET", "/rolls/stats?group_by=planet", None, 400, "invalid_parameter"),
        ("GET", "/changes?since=bm9wZQ", None, 400, "invalid_cursor"),
        ("POST", "/campaigns", b"{nope", 400, "invalid_json"),
        ("POST", "/campaigns", b"[]", 422, "invalid_body"),
        ("POST", "/campaigns", b'{"settings": {}}', 422, "invalid_body"),
        ("POST", "/campaigns", b'{"name": 5}', 422, "invalid_body"),
        ("POST", "/campaigns", big, 413, "body_too_large"),
        ("PATCH", "/campaigns", b"{}", 405, "method_not_allowed"),
    ]
    for method, path, body, status, code in cases:
        response = await core_http.request(method, path, content=body, headers=auth)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), path


async def test_a_patch_without_a_version_names_the_field(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    campaign = await core_client.create_campaign(name="C")
    response = await core_http.patch(
        f"/campaigns/{campaign['id']}",
        json={"name": "D"},
        headers={"authorization": f"Bearer {core_api_key}"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "version"


async def test_game_links_are_found_by_discord_channel(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="Lookup", guild_id="42")
    link = await core_client.create_game_link(campaign["id"], discord_channel_id="777")
    await core_client.create_game_link(campaign["id"], discord_channel_id="888")
    found = await core_client.game_links(discord_channel_id="777")
    assert [g["id"] for g in found] == [link["id"]]
    await core_client.update_game_link(link["id"], link["version"], archived=True)
    assert await core_client.game_links(discord_channel_id="777") == []
    by_guild = await core_client.list_campaigns(guild_id="42")
    assert [c["id"] for c in by_guild["campaigns"]] == [campaign["id"]]
    assert (await core_client.list_campaigns(guild_id="43"))["campaigns"] == []


async def test_character_owner_is_given_by_discord_id(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="Owners")
    character = await core_client.create_character(
        campaign["id"], name="Vex", owner_discord_id="123456"
    )
    assert character["owner_user_id"] is not None
    again = await core_client.create_character(
        campaign["id"], name="Vax", owner_discord_id="123456"
    )
    assert again["owner_user_id"] == character["owner_user_id"]


@pytest.mark.parametrize("limit", ["²", "0", "9" * 30])
async def test_bad_page_sizes_get_400_not_500(
    core_http: httpx2.AsyncClient, core_api_key: str, limit: str
) -> None:
    response = await core_http.get(
        "/campaigns", params={"limit": limit}, headers={"authorization": f"Bearer {core_api_key}"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("bad", ["../game-links", "guild:1", "not-a-uuid"])
async def test_sdk_refuses_ids_that_are_not_ids(core_client: CoreClient, bad: str) -> None:
    with pytest.raises(NotFoundError):
        await core_client.get_campaign(bad)


async def test_writes_refuse_what_core_could_not_store_naming_the_field(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    # Python's json accepts these; PostgreSQL or UTF-8 would not store them.
    auth = {"authorization": f"Bearer {core_api_key}", "content-type": "application/json"}
    campaign = await core_client.create_campaign(name="C")
    cases = [
        ("POST", "/campaigns", b'{"name": "a\\u0000b"}', "name"),
        ("POST", "/campaigns", b'{"name": "\\ud800"}', "name"),
        ("POST", "/campaigns", b'{"name": "C", "settings": {"x": NaN}}', "settings.x"),
        ("POST", "/campaigns", b'{"name": "C", "settings": {"k": "\\u0000"}}', "settings.k"),
        ("POST", f"/campaigns/{campaign['id']}/characters", b'{"name": "V", "stats": []}', "stats"),
        (
            "POST",
            f"/campaigns/{campaign['id']}/characters",
            b'{"name": "V", "source_platform": "myspace"}',
            "source_platform",
        ),
        ("PATCH", f"/campaigns/{campaign['id']}", b'{"version": 1, "name": " "}', "name"),
    ]
    for method, path, body, field in cases:
        response = await core_http.request(method, path, content=body, headers=auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, body
    assert [c["name"] for c in (await core_client.list_campaigns())["campaigns"]] == ["C"]
