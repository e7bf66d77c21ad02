"""Read what Core stored, straight from its database, and drive its API, for tests."""

from __future__ import annotations

from typing import Any

import httpx2
from sqlalchemy import func, select
from starlette.applications import Starlette

from core_client import CoreClient, Event, EventType, Platform, RollRecord
from core_client.contract import DiceGroup, Die, codec
from storage.models import Roll, WebhookEvent

SCOPED_KEY = "scoped_key_for_guild_1"
SCOPED_CAMPAIGN = "guild:1"


async def stored_rolls(app: Starlette) -> list[Roll]:
    """Return every roll Core holds, oldest first."""
    async with app.state.sessions() as session:
        result = await session.execute(select(Roll).order_by(Roll.rolled_at))
        return list(result.scalars())


async def count(app: Starlette, model: Any) -> int:
    """Return how many rows a table holds."""
    async with app.state.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def rows(app: Starlette, model: Any) -> list[Any]:
    """Return every row of a model."""
    async with app.state.sessions() as session:
        return list((await session.scalars(select(model))).all())


def d20_roll(
    value: int,
    campaign: str = "guild:1",
    *,
    actor: str | None = "1001",
    character: str | None = None,
    character_id: str | None = None,
    platform: Platform = Platform.DISCORD,
    occurred_at: float | None = None,
) -> Event:
    """Return a roll.recorded event of one 1d20."""
    record = RollRecord(
        platform=platform,
        campaign_id=campaign,
        formula="1d20",
        total=value,
        groups=(DiceGroup("1d20", 20, (Die(20, value),), subtotal=value),),
        actor_id=actor,
        character_name=character,
        character_id=character_id,
    )
    if occurred_at is None:
        return Event(EventType.ROLL_RECORDED, codec.to_builtins(record))
    return Event(EventType.ROLL_RECORDED, codec.to_builtins(record), occurred_at=occurred_at)


def poison_roll() -> Event:
    """Return a roll Core refuses for good: a die with -6 sides cannot be rolled."""
    data: dict[str, Any] = dict(d20_roll(1).data)
    data["groups"] = [{**data["groups"][0], "sides": -6}]
    return Event(EventType.ROLL_RECORDED, data)


def client_with_key(http: httpx2.AsyncClient, key: str) -> CoreClient:
    """Return an SDK client using another API key on the same Core."""
    return CoreClient("http://core", http, signing_secrets=[], api_key=key)


__all__ = [
    "WebhookEvent",
    "client_with_key",
    "count",
    "d20_roll",
    "poison_roll",
    "rows",
    "stored_rolls",
]
