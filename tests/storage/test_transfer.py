"""A campaign moves between Cores as one JSON document (`storage.transfer`), whole."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from core_client import (
    AiProvider,
    AiUsage,
    CampaignUpserted,
    CharacterUpserted,
    ChatMessage,
    CoreClient,
    GameLinkUpserted,
    Platform,
    SessionStarted,
)
from core_client.contract import VttPlatform
from storage import db, transfer
from tests.support.core import d20_roll


async def _fill(client: CoreClient) -> None:
    """A campaign with a bit of everything, and another one that must stay behind."""
    await client.deliver(
        [
            CampaignUpserted(key="guild:7", name="Moving", gm_discord_id="501").event(),
            CampaignUpserted(key="guild:8", name="Staying").event(),
            SessionStarted(session_id="s-1", campaign_id="guild:7", title="One").event(),
            CharacterUpserted(
                name="Vex", source_platform=Platform.DISCORD, campaign_id="guild:7",
                owner_discord_id="502", stats={"hp": 31},
            ).event(),
            GameLinkUpserted(
                campaign_id="guild:7", discord_channel_id="700", platform=VttPlatform.ROLL20,
                game_id="r20-7",
            ).event(),
            d20_roll(17, "guild:7", actor="502", character="Vex"),
            d20_roll(2, "guild:8", actor="503"),
            ChatMessage(campaign_id="guild:7", platform=Platform.DISCORD, text="héllo").event(),
            AiUsage(
                provider=AiProvider.OPENAI, model="m", prompt_tokens=5, completion_tokens=1,
                user_discord_id="501", campaign_id="guild:7",
            ).event(),
        ]
    )  # fmt: skip


@pytest.fixture
async def target(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Another Core's (empty, migrated) SQLite database."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/target.sqlite3")
    await db.upgrade(engine)
    yield db.sessionmaker(engine)
    await engine.dispose()


async def _export(sessions: async_sessionmaker[AsyncSession], ref: str) -> dict[str, Any]:
    async with sessions.begin() as session:
        document = await transfer.export_campaign(session, ref)
    return json.loads(json.dumps(document))  # as it travels: through a JSON file


async def test_a_campaign_moves_whole_and_the_copy_exports_the_same(
    core_client: CoreClient, core_app: Starlette, target: async_sessionmaker[AsyncSession]
) -> None:
    await _fill(core_client)
    document = await _export(core_app.state.sessions, "guild:7")
    counts = {name: len(rows) for name, rows in document["tables"].items()}
    assert counts == {
        "campaigns": 1, "game_sessions": 1, "characters": 1, "game_links": 1, "crit_rules": 0,
        "rolls": 1, "chat_messages": 1, "ai_conversations": 0, "ai_usage": 1,
    }  # fmt: skip
    assert sorted(u["discord_id"] for u in document["users"]) == ["501", "502"]
    async with target.begin() as session:
        await transfer.import_campaign(session, document)
    assert await _export(target, document["tables"]["campaigns"][0]["id"]) == document


async def test_an_import_core_already_holds_is_refused_and_writes_nothing(
    core_client: CoreClient, core_app: Starlette, target: async_sessionmaker[AsyncSession]
) -> None:
    await _fill(core_client)
    document = await _export(core_app.state.sessions, "guild:7")
    async with target.begin() as session:
        await transfer.import_campaign(session, document)
    with pytest.raises(transfer.TransferError, match="already holds campaign"):
        async with target.begin() as session:
            await transfer.import_campaign(session, document)
    # Into its own Core under another id, it still may not take the game and channel.
    document["tables"]["campaigns"][0].update(id="6f0e1f38-0000-4000-8000-000000000001")
    document["tables"]["campaigns"][0].update(external_key="guild:77")
    with pytest.raises(transfer.TransferError, match="another campaign holds"):
        async with core_app.state.sessions.begin() as session:
            await transfer.import_campaign(session, document)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"format": "other"}, "format"),
        ({"format": transfer.FORMAT, "tables": {}, "users": []}, "exactly one campaign"),
        (
            {"format": transfer.FORMAT, "users": [], "tables": {"campaigns": [{"nope": 1}]}},
            "columns Core does not know",
        ),
    ],
)
async def test_a_malformed_document_is_refused_by_name(
    target: async_sessionmaker[AsyncSession], document: object, problem: str
) -> None:
    with pytest.raises(transfer.TransferError, match=problem):
        async with target.begin() as session:
            await transfer.import_campaign(session, document)
