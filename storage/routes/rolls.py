"""Roll history (filtered, cursor-paginated) and roll statistics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storage import queries, stats
from storage.rollfilter import RollFilter
from storage.routes.guard import caller
from storage.routes.responses import invalid_parameter, page_size


async def roll_history(request: Request) -> JSONResponse:
    """Return rolls matching the filters, newest first, a page at a time."""
    limit = page_size(request)
    where = RollFilter.from_request(request)
    cursor = request.query_params.get("cursor")
    async with caller(request) as (session, principal):
        return JSONResponse(
            await queries.roll_page(session, where.conditions(principal), limit, cursor)
        )


async def roll_stats(request: Request) -> JSONResponse:
    """Return statistics of the rolls matching the filters, optionally grouped."""
    where = RollFilter.from_request(request)
    group_by = request.query_params.get("group_by") or None
    if group_by is not None and group_by not in stats.GROUP_COLUMNS:
        allowed = ", ".join(stats.GROUP_COLUMNS)
        raise invalid_parameter("group_by", f"must be one of {allowed}")
    async with caller(request) as (session, principal):
        return JSONResponse(await stats.compute(session, where, principal, group_by))


ROUTES = [
    Route("/rolls", roll_history, methods=["GET"]),
    Route("/rolls/stats", roll_stats, methods=["GET"]),
]
