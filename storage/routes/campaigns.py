"""Campaign routes: list, create, read, update, the AI's context, crit rules."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client.contract import answers, codec
from core_client.contract import writes as bodies
from core_client.contract.writes import CampaignPatch, NewCampaign, PresetSwitch
from core_client.errors import RecordError
from storage import changes, critrules, cursors, queries, writes
from storage.errors import RequestError
from storage.models import Campaign, CritRule, User
from storage.routes.guard import caller, campaign_or_404, checked_body, service_only
from storage.routes.responses import invalid_parameter, page_size, path_id
from storage.views import shaped, view

MAX_CONTEXT_ROLLS = 200


def _with_gm(values: dict[str, Any]) -> dict[str, Any]:
    """Turn the GM's user id, if the write names one, into a UUID."""
    raw = values.get("gm_user_id")
    if raw is not None:
        try:
            values["gm_user_id"] = uuid.UUID(raw)
        except ValueError:
            raise RecordError("gm_user_id", "must be a user id (UUID)") from None
    return values


async def _gm_exists(session: AsyncSession, values: dict[str, Any]) -> None:
    """Refuse a GM who is not a user, naming the field (not as a taken key)."""
    gm = values.get("gm_user_id")
    if gm is not None and await session.get(User, gm) is None:
        raise RecordError("gm_user_id", "no user has that id")


async def list_campaigns(request: Request) -> JSONResponse:
    """List the campaigns the caller sees, oldest first, optionally by external key."""
    limit = page_size(request)
    after = request.query_params.get("cursor")
    async with caller(request) as (session, principal):
        query = select(Campaign).where(principal.where(Campaign.id))
        if key := request.query_params.get("key"):
            query = query.where(Campaign.external_key == key)
        if guild := request.query_params.get("guild_id"):
            query = query.where(Campaign.guild_id == guild)
        if request.query_params.get("archived") != "true":
            query = query.where(Campaign.archived_at.is_(None))
        if after:
            query = query.where(Campaign.id > _after(after))
        rows = list((await session.scalars(query.order_by(Campaign.id).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    page = {
        "campaigns": [view(c) for c in rows],
        "next_cursor": cursors.encode(str(rows[-1].id)) if more else None,
    }
    return JSONResponse(shaped(answers.CampaignPage, page))


def _after(cursor: str) -> uuid.UUID:
    (raw,) = cursors.decode(cursor, 1)
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise cursors.invalid() from None


async def create_campaign(request: Request) -> JSONResponse:
    """Create a campaign (service keys only: a scoped key could not see it)."""
    body = await checked_body(request)
    values = _with_gm(writes.read(body, NewCampaign).values)
    values.setdefault("settings", {})
    async with caller(request) as (session, principal):
        service_only(principal)
        if values.get("external_key"):
            taken = await session.scalar(
                select(Campaign.id).where(Campaign.external_key == values["external_key"])
            )
            if taken is not None:
                raise RequestError(
                    "a campaign has that external_key",
                    status=409,
                    code="duplicate_key",
                    id=str(taken),
                )
        await _gm_exists(session, values)
        campaign = await writes.create(session, Campaign(id=uuid.uuid4()), values)
        out = view(campaign)
    return JSONResponse(out, status_code=201)


async def get_campaign(request: Request) -> JSONResponse:
    """Return one campaign."""
    async with caller(request) as (session, principal):
        return JSONResponse(view(await campaign_or_404(session, principal, path_id(request))))


async def patch_campaign(request: Request) -> JSONResponse:
    """Update a campaign at the version the caller saw."""
    write = writes.read(await checked_body(request), CampaignPatch)
    values = _with_gm(write.values)
    async with caller(request) as (session, principal):
        campaign = await campaign_or_404(session, principal, path_id(request))
        await _gm_exists(session, values)
        await writes.update(session, campaign, write.version or 0, values, write.archived)
        out = view(campaign)
    return JSONResponse(out)


async def campaign_context(request: Request) -> JSONResponse:
    """Return a campaign with its characters, recent rolls, open session and notes."""
    recent = page_size(request, default=20, maximum=MAX_CONTEXT_ROLLS)
    sheets = request.query_params.get("sheets", "1")
    if sheets not in ("0", "1"):
        raise invalid_parameter("sheets", "must be 0 or 1")
    async with caller(request) as (session, principal):
        campaign = await campaign_or_404(session, principal, path_id(request))
        return JSONResponse(await queries.context(session, campaign, recent, sheets == "1"))


async def list_crit_rules(request: Request) -> JSONResponse:
    """Return the presets, the campaign's own rows, and the rules in force."""
    async with caller(request) as (session, principal):
        campaign = await campaign_or_404(session, principal, path_id(request))
        rows = await critrules.load(session, [campaign.id])
        effective = critrules.effective(rows, campaign.id)
        answer = {
            "presets": [view(r) for r in rows if r.campaign_id is None],
            "campaign_rules": [view(r) for r in rows if r.campaign_id is not None],
            "in_force": [r.key for r in effective],
            "rules": effective,
        }
        return JSONResponse(codec.to_builtins(shaped(answers.CritRules, answer)))


async def set_preset(request: Request) -> JSONResponse:
    """Switch a built-in crit rule preset on or off for one campaign."""
    switch = bodies.read(await checked_body(request), PresetSwitch)
    enabled = switch.get("enabled", True)
    key = request.path_params["preset"]
    async with caller(request) as (session, principal):
        campaign = await campaign_or_404(session, principal, path_id(request))
        preset = await session.scalar(
            select(CritRule).where(CritRule.campaign_id.is_(None), CritRule.preset_key == key)
        )
        if preset is None:
            raise RequestError(f"no crit rule preset {key!r}", status=404, code="not_found")
        row = await _override(session, campaign.id, preset)
        row.enabled = enabled
        await changes.save(session, row)
        return JSONResponse(view(row))


async def _override(session: Any, campaign_id: uuid.UUID, preset: CritRule) -> CritRule:
    row: CritRule | None = await session.scalar(
        select(CritRule).where(
            CritRule.campaign_id == campaign_id, CritRule.preset_key == preset.preset_key
        )
    )
    if row is not None:
        return row
    copied = {
        k: getattr(preset, k)
        for k in (
            "preset_key",
            "name",
            "dice",
            "reads",
            "comparison",
            "threshold",
            "crit_type",
            "severity",
        )
    }
    return CritRule(id=uuid.uuid4(), campaign_id=campaign_id, **copied)


ROUTES = [
    Route("/campaigns", list_campaigns, methods=["GET"]),
    Route("/campaigns", create_campaign, methods=["POST"]),
    Route("/campaigns/{id}", get_campaign, methods=["GET"]),
    Route("/campaigns/{id}", patch_campaign, methods=["PATCH"]),
    Route("/campaigns/{id}/context", campaign_context, methods=["GET"]),
    Route("/campaigns/{id}/crit-rules", list_crit_rules, methods=["GET"]),
    Route("/campaigns/{id}/crit-rules/presets/{preset}", set_preset, methods=["PUT"]),
]
