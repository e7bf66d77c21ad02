"""Core derives a character's summary from its sheet on every write, and serves it.

On SQLite and PostgreSQL: created through the query API, changed by a PATCH,
arrived as a `character.upserted` event, and in the campaign's context.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import inspect

from core_client import CharacterUpserted, CoreClient, Platform
from core_client.contract.summary import CharacterSummary
from storage import db

SHEETS = Path(__file__).parents[1] / "core_client" / "sheets" / "fixtures"


def sheet(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHEETS / name).read_text())
    return data


async def test_a_created_character_is_answered_with_its_summary(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="Night Below")
    actor = sheet("foundry_wizard.json")
    created = await core_client.create_character(
        campaign["id"], name="Zanna", source_platform=Platform.FOUNDRY, source_json=actor
    )
    summary = created["summary"]
    assert isinstance(summary, CharacterSummary)  # validated by the SDK as declared
    assert (summary.name, summary.ac, summary.hp_max) == ("Zanna", 11, 8)
    fetched = await core_client.get_character(created["id"])
    assert fetched["summary"] == summary
    [listed] = (await core_client.campaign_context(campaign["id"]))["characters"]
    assert listed["summary"] == summary


async def test_a_new_sheet_in_a_patch_gets_a_new_summary(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="Night Below")
    created = await core_client.create_character(
        campaign["id"], name="Zanna", source_platform=Platform.FOUNDRY,
        source_json=sheet("foundry_wizard.json"),
    )  # fmt: skip
    hurt = sheet("foundry_wizard.json")
    hurt["system"]["attributes"]["hp"]["value"] = 3
    renamed = await core_client.update_character(created["id"], created["version"], name="Z.")
    assert renamed["summary"] is not None
    assert (renamed["summary"].name, renamed["summary"].hp) == ("Z.", 8)
    patched = await core_client.update_character(
        created["id"], renamed["version"], source_json=hurt
    )
    assert patched["summary"] is not None
    assert (patched["summary"].name, patched["summary"].hp) == ("Z.", 3)


async def test_a_character_typed_in_by_hand_has_no_summary(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="Night Below")
    created = await core_client.create_character(campaign["id"], name="NPC", stats={"ac": 12})
    assert created["summary"] is None


async def test_a_character_upserted_by_a_vtt_gets_its_summary(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="Night Below")
    export = sheet("roll20_ranger.json")
    event = CharacterUpserted(
        name="Ysolde Marrow", source_platform=Platform.ROLL20, source_id="-Mysolde",
        campaign_id=campaign["id"], source=export, roll20=export,
    ).event()  # fmt: skip
    await core_client.deliver([event])
    [character] = (await core_client.campaign_context(campaign["id"]))["characters"]
    assert character["summary"] is not None
    assert (character["summary"].classes, character["summary"].ac) == ("Ranger 5", 16)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_revision_0005_adds_and_removes_the_summary_column(
    kind: str, empty_database_url: str
) -> None:
    assert kind in empty_database_url

    def columns(connection: Any) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("characters")}

    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine)
        async with engine.connect() as conn:
            assert "summary" in await conn.run_sync(columns)
        await db.downgrade(engine, "0004")
        async with engine.connect() as conn:
            assert "summary" not in await conn.run_sync(columns)
        await db.upgrade(engine)
        assert await db.current_revision(engine) == db.head_revision()
    finally:
        await engine.dispose()


async def test_a_summary_sent_by_a_client_is_not_what_core_stores(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    campaign = await core_client.create_campaign(name="Night Below")
    body = {"name": "Zanna", "source_platform": "foundry", "source_json":
            sheet("foundry_wizard.json"), "summary": {"name": "Zanna", "ac": 30}}  # fmt: skip
    response = await core_http.post(
        f"/campaigns/{campaign['id']}/characters",
        json=body,
        headers={"authorization": f"Bearer {core_api_key}"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["summary"]["ac"] == 11  # derived from the sheet, not taken


async def test_the_context_without_sheets_keeps_summaries_and_leaves_the_exports_out(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    campaign = await core_client.create_campaign(name="Night Below")
    for name, platform in (("foundry_wizard.json", Platform.FOUNDRY),
                           ("dicecloud_cleric.json", Platform.DICECLOUD),
                           ("roll20_ranger.json", Platform.ROLL20)):  # fmt: skip
        await core_client.create_character(
            campaign["id"], name=name, source_platform=platform, source_json=sheet(name)
        )
    slim = await core_client.campaign_context(campaign["id"], sheets=False)
    assert [c["summary"] is not None for c in slim["characters"]] == [True] * 3
    assert {c["source_json"] is None for c in slim["characters"]} == {True}
    path, auth = f"/campaigns/{campaign['id']}/context", {"authorization": f"Bearer {core_api_key}"}
    full = await core_http.get(path, headers=auth)
    lean = await core_http.get(path, params={"sheets": "0"}, headers=auth)
    assert len(lean.content) * 20 < len(full.content)
    refused = await core_http.get(path, params={"sheets": "no"}, headers=auth)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "sheets"
