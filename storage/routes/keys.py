"""Key routes: `POST /keys` issues, `GET /keys` lists, `DELETE /keys/{id}` revokes.

Only an admin key opens them (a configured FUMBLEBOT_CORE_API_KEY, or an
issued key of role `admin`); any other known key gets 403. The key itself
is in the answer to `POST /keys` only: Core keeps its digest, never the key.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client.contract import answers, codec
from core_client.contract.writes import NewApiKey
from storage import apikeys
from storage.routes.guard import admin_grant
from storage.routes.responses import json_body, not_found, path_id

log = logging.getLogger(__name__)


async def issue_key(request: Request) -> JSONResponse:
    """Issue a key of a role, optionally scoped to campaigns; answer it once."""
    await admin_grant(request)
    new = codec.decode(await json_body(request), NewApiKey)
    async with request.app.state.sessions() as session, session.begin():
        made = await apikeys.issue(session, new.role, new.campaigns, new.label)
        answer = apikeys.issued(made)
    return _json(answer, status=201)


async def list_keys(request: Request) -> JSONResponse:
    """List the keys Core issued, revoked ones with when."""
    await admin_grant(request)
    async with request.app.state.sessions() as session:
        rows = await apikeys.listing(session)
    return _json(answers.ApiKeyList(keys=[apikeys.info(r) for r in rows]))


async def revoke_key(request: Request) -> JSONResponse:
    """Revoke a key at once; the next request it signs is refused."""
    await admin_grant(request)
    key_id = path_id(request)
    async with request.app.state.sessions() as session, session.begin():
        row = await apikeys.revoke(session, key_id)
        if row is None:
            raise not_found("API key")
        answer = apikeys.info(row)
    return _json(answer)


def _json(answer: object, status: int = 200) -> JSONResponse:
    return JSONResponse(codec.to_builtins(answer), status_code=status)


ROUTES = [
    Route("/keys", issue_key, methods=["POST"]),
    Route("/keys", list_keys, methods=["GET"]),
    Route("/keys/{id}", revoke_key, methods=["DELETE"]),
]

__all__ = ["ROUTES"]
