"""The composition root: open every resource, wire the parts, run them.

Modelled on discord.py's `examples/advanced_startup.py`: resources are opened
with `async with` in one place and injected; nothing is created at import
time. `fumblebot run` puts Core, the bridge and the bot in one process, and
`core` / `service` split them across processes with the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import discord
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.ai import AISettings, build_ai_service
from bot.bot import BotDeps, FumbleBot, create_bot
from bot.config import Settings
from bot.errors import ConfigError, FumbleBotError
from bot.service_app import ai_reporter, create_service_app
from bot.settings import BotSettings
from bridge.app import close_streams
from bridge.app import create_app as create_bridge_app
from bridge.backends import open_backends
from bridge.settings import BridgeSettings
from core_client import CoreClient, Outbox, signing
from core_client.dice import Limits
from storage.app import create_app as create_core_app
from storage.settings import CoreSettings

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5  # seconds open SSE streams get before uvicorn closes them

Job = Callable[[], Coroutine[Any, Any, None]]


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the composition root."""

    def __init__(self, config: uvicorn.Config, before_exit: Callable[[], object] | None) -> None:
        super().__init__(config)
        self.before_exit = before_exit

    def stop(self) -> None:
        """Ask the server to exit, first ending what would hold it open (SSE streams)."""
        if self.before_exit is not None:
            self.before_exit()
        self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass(frozen=True, slots=True)
class Roles:
    """Which parts this process runs."""

    core: bool
    service: bool


def dice_limits(settings: Settings) -> Limits:
    """Return the dice engine's limits from the configuration."""
    d = settings.dice
    return Limits(
        max_input_length=d.max_input_length,
        max_depth=d.max_depth,
        max_dice=d.max_dice,
        max_sides=d.max_sides,
        max_repeat=d.max_repeat,
    )


def core_settings(
    settings: Settings, signing_keys: tuple[str, ...], key: str | None
) -> CoreSettings:
    """Return Core's settings from the configuration."""
    return CoreSettings(
        database_url=settings.database_url,
        signing_secrets=signing_keys,
        api_keys=(key,) if key else (),
        encryption_key=settings.secrets.core_encryption_key,
        max_body_bytes=settings.core.max_body_bytes,
        timestamp_tolerance=settings.core.timestamp_tolerance,
    )


def bridge_settings(settings: Settings, service_key: str | None = None) -> BridgeSettings:
    """Return the bridge's settings; the service key opens its trusted /v1 routes."""
    b = settings.bridge
    return BridgeSettings(
        service_keys=(service_key,) if service_key else (),
        redis_password=settings.secrets.redis_password,
        event_bus=b.event_bus,
        redis_url=b.redis_url,
        redis_prefix=b.redis_prefix,
        history_per_topic=b.history_per_topic,
        history_seconds=b.history_seconds,
        rate_per_second=b.rate_per_second,
        rate_burst=b.rate_burst,
        subscriber_queue=b.subscriber_queue,
        heartbeat_seconds=b.heartbeat_seconds,
        max_body_bytes=b.max_body_bytes,
        cors_origins=b.cors_origins,
    )


def bot_settings(settings: Settings) -> BotSettings:
    """Return the bot's settings from the configuration."""
    d = settings.discord
    return BotSettings(
        sync_commands=d.sync_commands, dev_guild_id=d.dev_guild_id, shard_count=d.shard_count
    )


def signing_secrets(settings: Settings, roles: Roles) -> tuple[str, ...]:
    """Return the webhook secrets, minting one for a process that is both ends."""
    if settings.secrets.webhook_secrets:
        return settings.secrets.webhook_secrets
    if roles.core and roles.service:
        # Sender and receiver share this process, so a key that lives only as
        # long as it does is enough; the outbox re-signs on every attempt.
        return (signing.generate_secret(),)
    raise ConfigError(
        "FUMBLEBOT_WEBHOOK_SECRETS",
        "not set; Core and the service must share a signing secret",
        "generate one with 'fumblebot gen-secret' and set it for both processes",
    )


def build_bot(settings: Settings, deps: BotDeps) -> FumbleBot:
    """Return the Discord bot wired to its dependencies."""
    return create_bot(settings=bot_settings(settings), deps=deps)


def api_key(settings: Settings, roles: Roles) -> str | None:
    """Return the key for Core's query API, minting one for a process that is both ends."""
    if settings.secrets.core_api_key:
        return settings.secrets.core_api_key
    if roles.core and roles.service:
        return secrets.token_urlsafe(32)
    if roles.service:
        log.warning(
            "FUMBLEBOT_CORE_API_KEY is not set: campaign, character and /ask commands are off"
        )
    return None


def _server(
    app: ASGIApp, host: str, port: int, before_exit: Callable[[], object] | None = None
) -> _Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
    )
    return _Server(config, before_exit)


@contextlib.asynccontextmanager
async def open_reporter(settings: Settings, client: CoreClient) -> AsyncIterator[Outbox]:
    """Open the durable outbox that delivers this process's reports to Core."""
    o = settings.outbox
    async with Outbox(
        settings.outbox_path,
        client.deliver,
        max_events=o.max_events,
        batch_size=o.batch_size,
        max_delay=o.max_delay,
    ) as outbox:
        yield outbox


async def run(settings: Settings, roles: Roles) -> None:
    """Run the configured parts until a signal or a fatal error stops them."""
    signing_keys = signing_secrets(settings, roles)
    key = api_key(settings, roles)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        servers: list[_Server] = []
        jobs: list[Job] = []
        if roles.core:
            core_app = create_core_app(core_settings(settings, signing_keys, key))
            servers.append(_server(core_app, settings.core.host, settings.core.port))
        if roles.service:
            service_app, bridge_app, bot = await _open_service(stack, settings, signing_keys, key)
            servers.append(
                _server(
                    service_app,
                    settings.bridge.host,
                    settings.bridge.port,
                    before_exit=lambda: close_streams(bridge_app),
                )
            )
            token = settings.secrets.discord_token
            if bot is not None and token:
                jobs.append(lambda: _run_bot(bot, token))
        await _supervise(servers, jobs, stop)


async def _open_service(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    signing_keys: tuple[str, ...],
    key: str | None,
) -> tuple[ASGIApp, Starlette, FumbleBot | None]:
    """Open the bridge's backends, the outbox, the AI and the bot; return the HTTP app."""
    http = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
    core = CoreClient(settings.core_url, http, signing_secrets=signing_keys, api_key=key)
    outbox = await stack.enter_async_context(open_reporter(settings, core))
    bridged = bridge_settings(settings, key)
    backends = await stack.enter_async_context(open_backends(bridged))
    ai = build_ai_service(
        AISettings.from_section(settings.ai),
        openai_api_key=settings.secrets.openai_api_key,
        anthropic_api_key=settings.secrets.anthropic_api_key,
        reporter=ai_reporter(outbox),
    )
    stack.push_async_callback(ai.aclose)
    bridge_app = create_bridge_app(
        bridged,
        reporter=outbox,
        bus=backends.bus,
        store=backends.store,
        dice_limits=dice_limits(settings),
    )
    app = create_service_app(
        bridge_app, ai=ai, core=core if key else None, api_keys=(key,) if key else ()
    )
    if not settings.secrets.discord_token:
        log.warning("Discord is off: set FUMBLEBOT_DISCORD_TOKEN to enable the bot.")
        return app, bridge_app, None
    deps = BotDeps(
        reporter=outbox,
        rng=random.SystemRandom(),
        dice_limits=dice_limits(settings),
        core=core if key else None,
        bus=backends.bus,
        store=backends.store,
        ai=ai,
    )
    bot = await stack.enter_async_context(build_bot(settings, deps))
    return app, bridge_app, bot


async def _run_bot(bot: FumbleBot, token: str) -> None:
    try:
        await bot.start(token)
    except discord.LoginFailure as exc:
        raise FumbleBotError(
            "Discord refused FUMBLEBOT_DISCORD_TOKEN; copy the token again from the "
            "Developer Portal"
        ) from exc


async def _supervise(servers: list[_Server], jobs: list[Job], stop: asyncio.Event) -> None:
    """Run servers and jobs; when one ends or a signal arrives, stop them all."""
    try:
        await _run_all(servers, jobs, stop)
    except ExceptionGroup as group:
        ours = group.subgroup(FumbleBotError)
        if ours is None:
            raise
        # One line for the user, not a tree of tracebacks.
        raise _leaf(ours) from group


def _leaf(group: BaseExceptionGroup[FumbleBotError]) -> FumbleBotError:
    first = group.exceptions[0]
    return _leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def _run_all(servers: list[_Server], jobs: list[Job], stop: asyncio.Event) -> None:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(s.serve(), name=_name(s)) for s in servers]
        tasks += [group.create_task(job(), name="discord bot") for job in jobs]
        waiter = group.create_task(stop.wait(), name="signal")
        done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
        for server in servers:
            server.stop()
        for task in [*tasks[len(servers) :], waiter]:
            task.cancel()
    if waiter not in done:
        names = ", ".join(t.get_name() for t in done)
        raise FumbleBotError(f"{names} stopped unexpectedly; see the log above")


def _name(server: _Server) -> str:
    return f"server on {server.config.host}:{server.config.port}"
