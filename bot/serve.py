"""The composition root: open every resource, wire the parts, run them.

Modelled on discord.py's `examples/advanced_startup.py`: resources are opened
with `async with` in one place and injected; nothing is created at import
time. `fumblebot run` puts Core, the bridge and the bot in one process, and
`core` / `service` split them across processes with the same code.

discord.py (with aiohttp and the cogs, about 17 MiB) is imported only when
the bot runs: `fumblebot core`, and a service without a Discord token, never
load it (issue #16).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.ai import build_ai_service
from bot.collector import CORE_YOUNG_THRESHOLD, short_pauses
from bot.config import Settings
from bot.errors import ConfigError, FumbleBotError
from bot.metrics import ServiceMetrics
from bot.service_app import ai_reporter, create_service_app
from bridge.app import close_streams
from bridge.app import create_app as create_bridge_app
from bridge.backends import open_backends
from bridge.settings import public_base_url
from core_client import CoreClient, Outbox, signing
from core_client.dice import BlockRandom
from storage.app import create_app as create_core_app
from storage.settings import CoreSettings

if TYPE_CHECKING:
    from bot.bot import BotDeps, FumbleBot

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5  # seconds open SSE streams get before uvicorn closes them
SHUTDOWN_FLUSH = 5.0  # seconds the outbox gets to deliver its queue on exit

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


@dataclass(slots=True)
class Plan:
    """What `run` supervises, in the order it stops them.

    `front` takes new work (the bridge and service app) and stops first, with
    the `jobs` (the bot); then `drain` delivers what they queued; `back`
    (Core, which the drain delivers to) stops last.
    """

    front: list[_Server] = dataclasses.field(default_factory=list)
    back: list[_Server] = dataclasses.field(default_factory=list)
    jobs: list[Job] = dataclasses.field(default_factory=list)
    drain: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True)
class Roles:
    """Which parts this process runs."""

    core: bool
    service: bool


def young_threshold(roles: Roles) -> int | None:
    """Return the collector's young threshold for a process (None: CPython's own).

    Core alone collects less often; open streams want CPython's (bot.collector).
    """
    return CORE_YOUNG_THRESHOLD if roles.core and not roles.service else None


def resolve(settings: Settings, roles: Roles) -> Settings:
    """Return the settings this process runs with: paths filled in, missing shared keys minted.

    Each role has its own keys: Core's query keys (`FUMBLEBOT_CORE_API_KEY`),
    the bridge's `/v1` keys (`FUMBLEBOT_BRIDGE_SERVICE_KEYS`) and the
    service's `/ai/chat` keys (`FUMBLEBOT_AI_CHAT_KEYS`); none opens another
    role's routes. Only what this process itself presents is minted: Core's
    webhook secret and query key when it is both Core and the service. The
    `/v1` and `/ai/chat` keys are for callers outside the process, so they are
    never minted: unset, those routes refuse everyone.
    """
    core = settings.core
    core = dataclasses.replace(
        core,
        url=settings.core_url,
        database_url=settings.database_url,
        signing_secrets=signing_secrets(core, roles),
        api_keys=api_keys(core, roles),
    )
    return dataclasses.replace(settings, core=core)


def signing_secrets(core: CoreSettings, roles: Roles) -> tuple[str, ...]:
    """Return the webhook secrets, minting one for a process that is both ends."""
    if core.signing_secrets:
        return core.signing_secrets
    if roles.core and roles.service:
        # Sender and receiver share this process, so a key that lives only as
        # long as it does is enough; the outbox re-signs on every attempt.
        return (signing.generate_secret(),)
    raise ConfigError(
        "FUMBLEBOT_WEBHOOK_SECRETS",
        "not set; Core and the service must share a signing secret",
        "generate one with 'fumblebot gen-secret' and set it for both processes",
    )


def api_keys(core: CoreSettings, roles: Roles) -> tuple[str, ...]:
    """Return the keys for Core's query API, minting one for a process that is both ends."""
    if core.api_keys:
        return core.api_keys
    if roles.core and roles.service:
        return (secrets.token_urlsafe(32),)
    if roles.service:
        log.warning(
            "FUMBLEBOT_CORE_API_KEY is not set: campaign, character and /ask commands are off"
        )
    return ()


def build_bot(settings: Settings, deps: BotDeps) -> FumbleBot:
    """Return the Discord bot wired to its dependencies."""
    from bot.bot import create_bot

    return create_bot(settings=settings.discord, deps=deps)


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
    options = dataclasses.asdict(settings.outbox)
    async with Outbox(settings.outbox_path, client.deliver, **options) as outbox:
        yield outbox


def loop_runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    """Return how to run the server: on uvloop where it is installed, else asyncio's loop.

    uvicorn picks uvloop itself only when it owns the loop (`uvicorn.run`);
    here the composition root does, so it picks as uvicorn's `loop="auto"`
    would. uvicorn[standard] installs uvloop on Linux and macOS, not Windows.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


async def run(settings: Settings, roles: Roles) -> None:
    """Run the configured parts until a signal or a fatal error stops them."""
    settings = resolve(settings, roles)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        plan = Plan()
        if roles.core:
            core_app = create_core_app(settings.core)
            plan.back.append(_server(core_app, settings.core.host, settings.core.port))
        if roles.service:
            service_app, bridge_app, bot, outbox = await _open_service(stack, settings)
            plan.front.append(
                _server(
                    service_app,
                    settings.bridge.host,
                    settings.bridge.port,
                    before_exit=lambda: close_streams(bridge_app),
                )
            )
            plan.drain = lambda: _flush(outbox)
            token = settings.discord.token
            if bot is not None and token:
                plan.jobs.append(lambda: _run_bot(bot, token))
        # After start-up's wiring, so all of it is frozen out of full collections.
        await stack.enter_async_context(short_pauses(young_threshold=young_threshold(roles)))
        await _supervise(plan, stop)


async def _open_service(
    stack: contextlib.AsyncExitStack, settings: Settings
) -> tuple[ASGIApp, Starlette, FumbleBot | None, Outbox]:
    """Open the bridge's backends, the outbox, the AI and the bot; return the HTTP app."""
    keys = settings.core.api_keys
    key = keys[0] if keys else None
    http = await stack.enter_async_context(httpx2.AsyncClient(timeout=10.0))
    client = CoreClient(
        settings.core_url, http, signing_secrets=settings.core.signing_secrets, api_key=key
    )
    core = client if key else None
    outbox = await stack.enter_async_context(open_reporter(settings, client))
    backends = await stack.enter_async_context(
        open_backends(settings.bridge, settings.bridge_state_path)
    )
    _say_what_is_closed(settings)
    metrics = ServiceMetrics.create()  # per service instance, shared by the AI and /metrics
    ai = build_ai_service(settings.ai, reporter=ai_reporter(outbox, metrics), core=core)
    stack.push_async_callback(ai.aclose)
    bridge_app = create_bridge_app(
        settings.bridge,
        reporter=outbox,
        bus=backends.bus,
        store=backends.store,
        dice_limits=settings.dice,
        crit_rules=core.rules_in_force if core is not None else None,
    )
    app = create_service_app(
        bridge_app,
        ai=ai,
        core=core,
        api_keys=settings.ai.chat_keys,
        metrics=metrics,
        outbox=outbox,
    )
    if not settings.discord.token:
        log.warning("Discord is off: set FUMBLEBOT_DISCORD_TOKEN to enable the bot.")
        return app, bridge_app, None, outbox
    from bot.bot import BotDeps  # here: a process without the bot never loads discord.py

    deps = BotDeps(
        reporter=outbox,
        rng=BlockRandom(),  # OS randomness, in blocks: see core_client/dice/entropy.py
        dice_limits=settings.dice,
        core=core,
        bus=backends.bus,
        store=backends.store,
        ai=ai,
        relay_path=settings.relay_path,
        bridge_url=public_base_url(settings.bridge),
        metrics=metrics,
    )
    bot = await stack.enter_async_context(build_bot(settings, deps))
    return app, bridge_app, bot, outbox


def _say_what_is_closed(settings: Settings) -> None:
    # Their keys are never minted, so an operator who expected them open learns why.
    if not settings.bridge.service_keys:
        log.info("the bridge's /v1 routes refuse everyone: FUMBLEBOT_BRIDGE_SERVICE_KEYS is unset")
    if not settings.ai.chat_keys:
        log.info("POST /ai/chat refuses everyone: FUMBLEBOT_AI_CHAT_KEYS is unset")


async def _run_bot(bot: FumbleBot, token: str) -> None:
    import discord

    try:
        await bot.start(token)
    except discord.LoginFailure as exc:
        raise FumbleBotError(
            "Discord refused FUMBLEBOT_DISCORD_TOKEN; copy the token again from the "
            "Developer Portal"
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        # Gateway close code 4014: the bot asks for an intent the portal has off.
        raise FumbleBotError(
            "Discord refused the Message Content intent; switch on 'Message Content Intent' "
            "under Bot > Privileged Gateway Intents for this application at "
            "https://discord.com/developers/applications, then start again (or set "
            "FUMBLEBOT_DISCORD_MESSAGE_CONTENT=false to run without inline rolls and "
            "the chat relay from Discord)"
        ) from exc


async def _supervise(plan: Plan, stop: asyncio.Event) -> None:
    """Run the plan; when a part ends or a signal arrives, stop them all."""
    try:
        await _run_all(plan, stop)
    except ExceptionGroup as group:
        ours = group.subgroup(FumbleBotError)
        if ours is None:
            raise
        # One line for the user, not a tree of tracebacks.
        raise _leaf(ours) from group


def _leaf(group: BaseExceptionGroup[FumbleBotError]) -> FumbleBotError:
    first = group.exceptions[0]
    return _leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def _run_all(plan: Plan, stop: asyncio.Event) -> None:
    async with asyncio.TaskGroup() as group:
        front = [group.create_task(s.serve(), name=_name(s)) for s in plan.front]
        back = [group.create_task(s.serve(), name=_name(s)) for s in plan.back]
        jobs = [group.create_task(_settled(job), name="discord bot") for job in plan.jobs]
        waiter = group.create_task(stop.wait(), name="signal")
        done, _ = await asyncio.wait(
            [*front, *back, *jobs, waiter], return_when=asyncio.FIRST_COMPLETED
        )
        # First what takes new work (the bot, the bridge), then the reports
        # it queued, while Core still listens; Core last.
        for server in plan.front:
            server.stop()
        for task in jobs:
            task.cancel()
        if front or jobs:
            await asyncio.wait([*front, *jobs])
        if plan.drain is not None:
            await plan.drain()
        for server in plan.back:
            server.stop()
        waiter.cancel()
    for task in jobs:
        if not task.cancelled() and (failure := task.result()) is not None:
            raise failure
    if waiter not in done:
        names = ", ".join(t.get_name() for t in done)
        raise FumbleBotError(f"{names} stopped unexpectedly; see the log above")


async def _settled(job: Job) -> Exception | None:
    """Run a job and return (not raise) its failure.

    Raised inside the task group, it would cancel the servers mid-lifespan,
    and each would log its own traceback; returned, the servers stop in
    order and the failure is raised once, as one line if it is ours.
    """
    try:
        await job()
    except Exception as exc:
        return exc
    return None


async def _flush(outbox: Outbox) -> None:
    """Deliver what the outbox holds before exit, for at most `SHUTDOWN_FLUSH` seconds."""
    if outbox.pending == 0:
        return
    log.info("delivering %d queued reports to Core before exit", outbox.pending)
    if not await outbox.flush(SHUTDOWN_FLUSH):
        log.warning(
            "%d reports are still queued; they are kept and sent at the next start",
            outbox.pending,
        )


def _name(server: _Server) -> str:
    return f"server on {server.config.host}:{server.config.port}"
