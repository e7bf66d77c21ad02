"""Core's OpenAPI document, served at `GET /openapi.json`, built from the code's declarations.

The operations are the declared table `storage.operations.OPERATIONS`; every
body and answer schema is msgspec's JSON Schema of the contract type the
route decodes or shapes with, so nothing here is a hand-kept copy of a
record. The document is built once per app, when it is first asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, is_typeddict

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core_client.contract import answers
from core_client.contract.answers import HealthReport
from core_client.contract.payloads import PAYLOADS
from core_client.web import ErrorBody
from storage.errors import RefusedDetail
from storage.operations import OPERATIONS, Operation, Param, Role

log = logging.getLogger(__name__)

REF = "#/components/schemas/{name}"
TITLE = "FumbleBot Core API"
VERSION = "1.0"
SECURITY: dict[Role, list[dict[str, list[str]]]] = {
    Role.PUBLIC: [],
    Role.QUERY: [{"serviceKey": []}, {"scopedKey": []}],
    Role.SERVICE: [{"serviceKey": []}],
    Role.ADMIN: [{"serviceKey": []}],
    Role.SIGNED: [{"webhookId": [], "webhookTimestamp": [], "webhookSignature": []}],
}
SCHEMES = {
    "serviceKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A query key that sees every campaign (`FUMBLEBOT_CORE_API_KEY`, "
        "space-separated so an old and a new key overlap during a rotation).",
    },
    "scopedKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A key that sees only the campaigns it names "
        "(`FUMBLEBOT_CORE_SCOPED_API_KEYS`, each `KEY:CAMPAIGN[,CAMPAIGN...]`); "
        "anything else is a 404, and service-only routes a 403.",
    },
    **{
        f"webhook{part}": {
            "type": "apiKey",
            "in": "header",
            "name": f"webhook-{part.lower()}",
            "description": "Standard Webhooks signing: `webhook-signature` is "
            "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` with any of the signing secrets "
            "(`FUMBLEBOT_WEBHOOK_SECRETS`, space-separated: every key signs, any verifies).",
        }
        for part in ("Id", "Timestamp", "Signature")
    },
}
REASONS = {
    400: "A malformed body (`invalid_json`) or query parameter (`invalid_parameter`).",
    401: "No known key (`unauthorized`), or a bad signature (`bad_signature`).",
    403: "Only a service key may do this (`forbidden`).",
    404: "No such thing, or not one the key may see (`not_found`).",
    409: "A taken key (`duplicate_key`, `already_claimed`) or a stale version "
    "(`version_conflict`).",
    413: "The body is over the limit (`body_too_large`).",
    415: "The body is not sent as `Content-Type: application/json` (`unsupported_media_type`).",
    422: "The body does not fit the declared type (`invalid_body`, naming the field).",
    503: "The database failed under the request (`storage_unavailable`); retry later.",
}


class DeliveryRefusedBody(msgspec.Struct):
    """The 422 of a delivery none of whose events is valid: each one named."""

    error: RefusedDetail


def document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every declared operation."""
    kinds: list[Any] = [ErrorBody, DeliveryRefusedBody, *PAYLOADS.values()]
    kinds += [t for op in OPERATIONS for t in (op.body, op.answer) if _is_record(t)]
    refs, schemas = msgspec.json.schema_components(kinds, ref_template=REF)
    named = dict(zip(kinds, refs, strict=True))
    _describe_payloads(schemas["Event"], named)
    _close_answers(schemas)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, named)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "summary": "Core: what FumbleBot stores."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SCHEMES},
    }


def _describe_payloads(event: dict[str, Any], named: dict[Any, Any]) -> None:
    """Say which payload record each event type's `data` must be (checked per event)."""
    by_type = {t.value: named[kind] for t, kind in PAYLOADS.items()}
    event["properties"]["data"]["description"] = (
        "The payload record of the event's `type` (see `x-payloads`); an event whose "
        "data does not fit is refused alone, in the receipt's `refused` list."
    )
    event["x-payloads"] = by_type


def _close_answers(schemas: dict[str, Any]) -> None:
    """Mark the answer shapes closed: `shaped` drops any key they do not declare."""
    for name, kind in vars(answers).items():
        if is_typeddict(kind) and name in schemas:
            schemas[name]["additionalProperties"] = False


def _is_record(kind: type | None) -> bool:
    return kind is not None and kind is not str


def _operation(op: Operation, named: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": _operation_id(op),
        "summary": op.summary,
        "security": SECURITY[op.role],
        "parameters": [*_path_params(op), *_query_params(op)],
        "responses": {str(op.status): _answer(op, named), **_refusals(op, named)},
    }
    if op.body is not None:
        body: dict[str, Any] = {"schema": named[op.body]}
        if op.body_example is not None:
            body["example"] = op.body_example
        out["requestBody"] = {"required": True, "content": {"application/json": body}}
    return out


def _operation_id(op: Operation) -> str:
    words = [w.strip("{}") for w in op.path.replace("-", "/").split("/") if w]
    return op.method.lower() + "".join(w.title() for w in words)


def _path_params(op: Operation) -> Iterable[dict[str, Any]]:
    declared = {p.name: p for p in op.path_params}
    for part in op.path.split("/"):
        if part.startswith("{"):
            name = part.strip("{}")
            param = declared.get(name) or Param(name, {"type": "string", "format": "uuid"}, "")
            yield _param(param, "path", required=True)


def _query_params(op: Operation) -> Iterable[dict[str, Any]]:
    for p in op.params:
        yield _param(p, "query", required=p.required)


def _param(p: Param, where: str, *, required: bool) -> dict[str, Any]:
    out = {"name": p.name, "in": where, "required": required, "schema": p.schema}
    if p.description:
        out["description"] = p.description
    if p.example is not None:
        out["example"] = p.example
    return out


def _answer(op: Operation, named: dict[Any, Any]) -> dict[str, Any]:
    if op.answer is str:
        schema: dict[str, Any] = {"type": "string"}
    else:
        schema = named.get(op.answer, {"type": "object"})
    return {"description": op.summary, "content": {op.media_type: {"schema": schema}}}


def _refusals(op: Operation, named: dict[Any, Any]) -> dict[str, Any]:
    out = {}
    for status in op.refusals:
        body = DeliveryRefusedBody if (op.role is Role.SIGNED and status == 422) else ErrorBody
        if op.answer is HealthReport and status == 503:  # the report says which check failed
            out[str(status)] = {"description": "A check failed.", **_json(named[op.answer])}
            continue
        out[str(status)] = {"description": REASONS[status], **_json(named[body])}
    return out


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


async def serve(request: Request) -> Response:
    """Answer `GET /openapi.json`, building the document on the first request."""
    body: bytes | None = getattr(request.app.state, "openapi", None)
    if body is None:
        body = msgspec.json.encode(document())
        request.app.state.openapi = body
    return Response(body, media_type="application/json")


ROUTES = [Route("/openapi.json", serve, methods=["GET"])]
