"""The delta feed: `GET /changes?since=<cursor>` returns what changed after it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storage import queries
from storage.routes.guard import caller
from storage.routes.responses import page_size


async def change_feed(request: Request) -> JSONResponse:
    """Return changes after `since`, oldest first, with the cursor to resume from."""
    limit = page_size(request, default=100)
    since = request.query_params.get("since")
    async with caller(request) as (session, principal):
        return JSONResponse(await queries.change_page(session, principal, since, limit))


ROUTES = [Route("/changes", change_feed, methods=["GET"])]
