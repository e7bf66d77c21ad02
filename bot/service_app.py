"""The FumbleBot service's HTTP app: the bridge, plus `POST /ai/chat` for Core.

Core (or an operator's tool) asks the AI through the same pipeline as `/ask`
with one of the `/ai/chat` keys (`FUMBLEBOT_AI_CHAT_KEYS`) as a bearer token:
the route's own keys, so Core's query key cannot spend AI tokens. The bridge
app is mounted at the root and its lifespan runs inside this app's, so its
resources stay owned by it.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.ai import AIError, AIRateLimitedError, AIService, AIUnavailableError
from bot.ai.errors import AIBudgetExceededError
from bot.metrics import ServiceMetrics
from bridge.app import health_report
from core_client import CoreClient, CoreClientError, Event, Outbox, Reporter
from core_client.errors import NotFoundError
from core_client.metrics import CONTENT_TYPE, exposition
from core_client.payloads import AiConversation, AiMessage, AiProvider, AiUsage

log = logging.getLogger(__name__)

MAX_BODY = 16_384


def ai_reporter(
    reporter: Reporter, metrics: ServiceMetrics | None = None
) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """Return the AI service's reporter, turning its reports into Core events (and counts)."""

    async def report(kind: str, payload: dict[str, Any]) -> None:
        known = {p.value for p in AiProvider}
        name = payload["provider"]
        provider = AiProvider(name) if name in known else AiProvider.OTHER
        user, campaign = payload.get("user_id"), payload.get("campaign_id")
        event: Event
        if kind == "ai.usage":
            if metrics is not None:
                prompt, completion = payload["prompt_tokens"], payload["completion_tokens"]
                metrics.count_tokens(provider.value, int(prompt), int(completion))
            event = AiUsage(
                provider=provider,
                model=str(payload["model"]),
                prompt_tokens=int(payload["prompt_tokens"]),
                completion_tokens=int(payload["completion_tokens"]),
                user_discord_id=user,
                campaign_id=campaign,
                conversation_id=payload.get("conversation_id"),
            ).event()
        else:
            event = AiConversation(
                conversation_id=str(payload["conversation_id"]),
                provider=provider,
                model=str(payload["model"]),
                messages=tuple(AiMessage(m["role"], m["content"]) for m in payload["messages"]),
                prompt_tokens=int(payload["prompt_tokens"]),
                completion_tokens=int(payload["completion_tokens"]),
                user_discord_id=user,
                campaign_id=campaign,
            ).event()
        await reporter.put(event)

    return report


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _authorised(request: Request, keys: Sequence[str]) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return any(hmac.compare_digest(token.encode(), key.encode()) for key in keys)


def _question(body: Any) -> tuple[str, str, str, str]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    fields = []
    for name, default in (
        ("campaign_id", None),
        ("question", None),
        ("user_id", "core"),
        ("task", "chat"),
    ):
        value = body.get(name, default)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string")
        fields.append(value)
    return fields[0], fields[1], fields[2], fields[3]


async def _bounded_body(request: Request) -> bytes | None:
    """Read the body, or return None as soon as it is over the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def create_service_app(
    bridge_app: Starlette,
    *,
    ai: AIService,
    core: CoreClient | None,
    api_keys: Sequence[str],
    metrics: ServiceMetrics | None = None,
    outbox: Outbox | None = None,
) -> Starlette:
    """Build the service app around the bridge."""
    serve_metrics, health = _operations(bridge_app, metrics or ServiceMetrics.create(), outbox)

    async def ai_chat(request: Request) -> JSONResponse:
        if not api_keys or not _authorised(request, api_keys):
            return _error(401, "unauthorized", "send an /ai/chat key as a Bearer token")
        raw = await _bounded_body(request)
        if raw is None:
            return _error(413, "body_too_large", f"the body is over {MAX_BODY} bytes")
        try:
            campaign_id, question, user_id, task = _question(json.loads(raw or b"null"))
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(422, "invalid_body", str(exc))
        return await _answer(ai, core, campaign_id, question, user_id, task)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with bridge_app.router.lifespan_context(bridge_app):
            yield

    return Starlette(
        routes=[
            Route("/ai/chat", ai_chat, methods=["POST"]),
            Route("/metrics", serve_metrics, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Mount("/", app=bridge_app),
        ],
        lifespan=lifespan,
    )


Handler = Callable[[Request], Awaitable[Response]]


def _operations(
    bridge_app: Starlette, metrics: ServiceMetrics, outbox: Outbox | None
) -> tuple[Handler, Handler]:
    """Return the service's GET /metrics and GET /health handlers."""

    async def serve_metrics(_request: Request) -> Response:
        if outbox is not None:
            await metrics.read_outbox(outbox)
        body = exposition(metrics.registry, bridge_app.state.metrics)
        return Response(body, media_type=CONTENT_TYPE)

    async def health(_request: Request) -> Response:
        report = health_report(bridge_app)
        if outbox is not None:
            report["outbox"] = await _outbox_health(outbox)
            report["ok"] = bool(report["ok"]) and not outbox.backlogged
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    return serve_metrics, health


async def _outbox_health(outbox: Outbox) -> dict[str, Any]:
    """Describe the outbox's backlog: what /health shows an uptime monitor."""
    status = await outbox.status()
    oldest = None if status.oldest_at is None else round(time.time() - status.oldest_at, 1)
    return {
        "queued": status.count,
        "oldest_seconds": oldest,
        "dead_letters": len(await outbox.dead_letters()),
        "backlogged": outbox.backlogged,
        "last_error": status.last_error,
    }


async def _answer(
    ai: AIService, core: CoreClient | None, campaign_id: str, question: str, user_id: str, task: str
) -> JSONResponse:
    if core is None:
        return _error(503, "core_unavailable", "the service has no Core API key configured")
    try:
        context = await core.campaign_context(campaign_id)
    except NotFoundError:
        return _error(404, "not_found", "no such campaign")
    except CoreClientError:
        log.warning(
            "POST /ai/chat could not read campaign %s from Core", campaign_id, exc_info=True
        )
        return _error(502, "core_unavailable", "could not read the campaign from Core; retry later")
    try:
        answer = await ai.answer(
            question,
            campaign_context=dict(context),
            campaign_id=campaign_id,
            user_id=user_id,
            guild_id=None,
            channel_id=f"core:{campaign_id}",
            task=task,  # type: ignore[arg-type]
        )
    except (AIRateLimitedError, AIBudgetExceededError) as exc:
        return _error(429, "limited", str(exc))
    except AIUnavailableError as exc:
        return _error(503, "ai_unavailable", str(exc))
    except AIError as exc:
        return _error(502, "ai_failed", str(exc))
    usage = answer.usage
    return JSONResponse(
        {
            "answer": answer.text,
            "conversation_id": answer.conversation_id,
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
        }
    )
