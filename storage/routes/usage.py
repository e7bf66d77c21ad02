"""AI usage totals: `GET /ai/usage?since=&user_discord_id=&guild_id=`.

The bot's daily AI budgets are counted from these totals rather than from
its own memory, so they survive a restart and hold across shards. A guild's
usage is what was spent under its guild key or in any of its campaigns.
Only a service key may ask: totals span campaigns.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client.contract import answers
from storage.models import AiUsage, Campaign, User
from storage.resolve import GUILD_PREFIX
from storage.rollfilter import parse_time
from storage.routes.guard import caller, service_only
from storage.routes.responses import invalid_parameter
from storage.views import shaped

log = logging.getLogger(__name__)


async def usage_totals(request: Request) -> JSONResponse:
    """Return the tokens a user and a guild used since `since`."""
    params = request.query_params
    since = parse_time(params.get("since"), "since")
    if since is None:
        raise invalid_parameter("since", "is required")
    user, guild = params.get("user_discord_id") or None, params.get("guild_id") or None
    async with caller(request) as (session, principal):
        service_only(principal)
        totals = {
            "user_tokens": await _user_tokens(session, user, since) if user else 0,
            "guild_tokens": await _guild_tokens(session, guild, since) if guild else 0,
        }
    return JSONResponse(shaped(answers.UsageTotals, totals))


def _tokens() -> Any:
    return func.coalesce(func.sum(AiUsage.prompt_tokens + AiUsage.completion_tokens), 0)


async def _user_tokens(session: AsyncSession, discord_id: str, since: datetime) -> int:
    query = (
        select(_tokens())
        .join(User, User.id == AiUsage.user_id)
        .where(User.discord_id == discord_id, AiUsage.created_at >= since)
    )
    return int(await session.scalar(query) or 0)


async def _guild_tokens(session: AsyncSession, guild_id: str, since: datetime) -> int:
    campaigns = select(Campaign.id).where(Campaign.guild_id == guild_id)
    query = select(_tokens()).where(
        or_(
            AiUsage.campaign_key == f"{GUILD_PREFIX}{guild_id}",
            AiUsage.campaign_id.in_(campaigns),
        ),
        AiUsage.created_at >= since,
    )
    return int(await session.scalar(query) or 0)


ROUTES = [Route("/ai/usage", usage_totals, methods=["GET"])]
