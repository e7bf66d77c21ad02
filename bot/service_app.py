"""The FumbleBot service's HTTP app: the bridge, plus `POST /ai/chat` for Core.

Core (or an operator's tool) asks the AI through the same pipeline as `/ask`
with one of the `/ai/chat` keys (`FUMBLEBOT_AI_CHAT_KEYS`) as a bearer token:
the route's own keys, so Core's query key cannot spend AI tokens. The bridge
app is mounted at the root and its lifespan runs inside this app's, so its
resources stay owned by it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.ai import AIError, AIRateLimitedError, AIService, AIUnavailableError
from bot.ai.errors import AIBudgetExceededError
from bot.ai.settings import Task
from bot.metrics import ServiceMetrics
from bridge.app import health_report
from bridge.eventstream import StreamingApp
from core_client import CoreClient, CoreClientError, Outbox, Reporter
from core_client.contract import AiConversation, AiMessage, AiProvider, AiUsage, codec
from core_client.contract.scalars import Content, Id
from core_client.errors import NotFoundError
from core_client.metrics import CONTENT_TYPE, exposition
from core_client.web import HttpError, exception_handlers, read_json, require_key

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
        record: AiUsage | AiConversation
        if kind == "ai.usage":
            if metrics is not None:
                prompt, completion = payload["prompt_tokens"], payload["completion_tokens"]
                metrics.count_tokens(provider.value, int(prompt), int(completion))
            record = AiUsage(
                provider=provider,
                model=str(payload["model"]),
                prompt_tokens=int(payload["prompt_tokens"]),
                completion_tokens=int(payload["completion_tokens"]),
                user_discord_id=user,
                campaign_id=campaign,
                conversation_id=payload.get("conversation_id"),
            )
        else:
            record = AiConversation(
                conversation_id=str(payload["conversation_id"]),
                provider=provider,
                model=str(payload["model"]),
                messages=tuple(AiMessage(m["role"], m["content"]) for m in payload["messages"]),
                prompt_tokens=int(payload["prompt_tokens"]),
                completion_tokens=int(payload["completion_tokens"]),
                user_discord_id=user,
                campaign_id=campaign,
            )
        # Checked here, where a refusal is logged, rather than dead-lettered by Core.
        await reporter.put(codec.validated(record).event())

    return report


class ChatQuestion(msgspec.Struct, forbid_unknown_fields=True):
    """The body of `POST /ai/chat`."""

    campaign_id: Id
    question: Content
    user_id: Id = "core"
    task: Task = "chat"


async def _campaign_context(core: CoreClient, campaign_id: str) -> Mapping[str, Any]:
    try:
        return await core.campaign_context(campaign_id, sheets=False)
    except NotFoundError:
        raise HttpError("no such campaign", status=404, code="not_found") from None
    except CoreClientError as exc:
        log.warning(
            "POST /ai/chat could not read campaign %s from Core", campaign_id, exc_info=True
        )
        message = "could not read the campaign from Core; retry later"
        raise HttpError(message, status=502, code="core_unavailable") from exc


async def _post_only(_request: Request) -> JSONResponse:
    raise HTTPException(405, headers={"Allow": "POST"})


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
        require_key(request, api_keys)
        body = await read_json(request, MAX_BODY, ChatQuestion)
        return await _answer(ai, core, body)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with bridge_app.router.lifespan_context(bridge_app):
            yield

    # A StreamingApp, so the bridge's streams write to the server's own send,
    # not through this app's middleware too.
    return StreamingApp(
        routes=[
            Route("/ai/chat", ai_chat, methods=["POST"]),
            # Without this the bridge mounted at / would answer 404 to GET /ai/chat.
            Route("/ai/chat", _post_only, methods=["GET", "PUT", "PATCH", "DELETE"]),
            Route("/metrics", serve_metrics, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Mount("/", app=bridge_app),
        ],
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
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


async def _answer(ai: AIService, core: CoreClient | None, body: ChatQuestion) -> JSONResponse:
    if core is None:
        raise HttpError(
            "the service has no Core API key configured", status=503, code="core_unavailable"
        )
    context = await _campaign_context(core, body.campaign_id)
    try:
        answer = await ai.answer(
            body.question,
            campaign_context=dict(context),
            campaign_id=body.campaign_id,
            user_id=body.user_id,
            guild_id=None,
            channel_id=f"core:{body.campaign_id}",
            task=body.task,
        )
    except (AIRateLimitedError, AIBudgetExceededError) as exc:
        raise HttpError(str(exc), status=429, code="limited") from exc
    except AIUnavailableError as exc:
        raise HttpError(str(exc), status=503, code="ai_unavailable") from exc
    except AIError as exc:
        raise HttpError(str(exc), status=502, code="ai_failed") from exc
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
