"""Fixtures for bot tests: the Discord emulator and a FumbleBot wired to a real Core.

The bot gets the same parts the composition root gives it: the outbox and the
Core client (to an in-process Core on SQLite), the in-process bus and state
store the bridge shares, and an AI service whose OpenAI SDK talks to the local
emulator.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from bot.ai import AIService, AISettings, build_ai_service
from bot.bot import BotDeps, FumbleBot
from bot.metrics import ServiceMetrics
from bot.service_app import ai_reporter, create_service_app
from bot.settings import BotSettings
from bridge.app import create_app as create_bridge_app
from bridge.bus import InMemoryBus
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore
from core_client import CoreClient, Outbox
from core_client.dice import Limits
from tests.emulators.discord_api import DiscordEmulator, run_bot
from tests.emulators.discord_interactions import EmuInteraction
from tests.emulators.discord_messages import EmuMessage
from tests.emulators.discord_models import EmuChannel, EmuGuild, EmuUser
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.servers import serve

# The bearer key of the service app's /ai/chat in `metered_service`.
SERVICE_KEY = "service-key-for-tests"


@dataclass
class Table:
    """A guild with a channel and its owner (the GM), as most bot tests need."""

    emu: DiscordEmulator
    guild: EmuGuild
    channel: EmuChannel
    player: EmuUser
    bot: FumbleBot
    bus: InMemoryBus
    store: MemoryStore
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics.create)


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    """Run the Discord emulator on loopback."""
    async with DiscordEmulator() as emulator:
        yield emulator


@pytest.fixture
async def openai_emulator() -> AsyncIterator[tuple[OpenAIEmulator, str]]:
    """Run the OpenAI API emulator on loopback."""
    emulator = OpenAIEmulator()
    async with serve(emulator.app) as url:
        try:
            yield emulator, url
        finally:
            emulator.release()


def emulated_ai(openai_emulator: tuple[OpenAIEmulator, str], **overrides: Any) -> AISettings:
    """Return AI settings for the OpenAI emulator, with any settings changed."""
    emulator, url = openai_emulator
    return AISettings(
        provider="openai",
        base_url=f"{url}/v1",
        timeout=2.0,
        max_retries=1,
        openai_api_key=emulator.script.api_key,
        **overrides,
    )


@pytest.fixture
async def metered_service(
    openai_emulator: tuple[OpenAIEmulator, str], outbox: Outbox, core_client: CoreClient
) -> AsyncIterator[httpx2.AsyncClient]:
    """Return a client of the service app (bridge, /ai/chat, /metrics) as the root wires it."""
    metrics = ServiceMetrics.create()
    ai = build_ai_service(emulated_ai(openai_emulator), reporter=ai_reporter(outbox, metrics))
    bridge = create_bridge_app(BridgeSettings(), reporter=outbox)
    app = create_service_app(
        bridge, ai=ai, core=core_client, api_keys=(SERVICE_KEY,), metrics=metrics, outbox=outbox
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
    await ai.aclose()


@pytest.fixture
async def ai(
    openai_emulator: tuple[OpenAIEmulator, str], outbox: Outbox
) -> AsyncIterator[AIService]:
    """Return the AI service on the OpenAI emulator, reporting to Core."""
    service = build_ai_service(emulated_ai(openai_emulator), reporter=ai_reporter(outbox))
    yield service
    await service.aclose()


@pytest.fixture
async def table(
    emu: DiscordEmulator, outbox: Outbox, core_client: CoreClient, ai: AIService
) -> AsyncIterator[Table]:
    """Run a fully wired FumbleBot in a guild whose owner is the GM."""
    player = emu.add_user("alice", global_name="Alice")
    guild = emu.add_guild(name="Friday Game", owner=player)
    channel = emu.add_text_channel(guild, name="table")
    bus, store, metrics = InMemoryBus(), MemoryStore(), ServiceMetrics.create()
    deps = BotDeps(
        reporter=outbox,
        rng=random.Random(20),
        dice_limits=Limits(),
        core=core_client,
        bus=bus,
        store=store,
        ai=ai,
        metrics=metrics,
    )
    bot = FumbleBot(settings=BotSettings(), deps=deps)
    async with bot, run_bot(bot, emu):
        yield Table(emu, guild, channel, player, bot, bus, store, metrics)
    await bus.aclose()


async def private_error(table: Table, inter: EmuInteraction) -> EmuMessage:
    """Return the error a command answered after deferring, checked to be private.

    Under Discord's first-follow-up rule an ephemeral follow-up to a public
    defer would be public; the channel must see nothing of the error.
    """
    followup = await inter.wait_followup()
    assert followup.ephemeral, f"the whole channel sees {followup.content!r}"
    assert (followup.content or "").startswith("⚠️ ")
    public = [m for m in table.emu.channel_messages(table.channel) if m.interaction_id == inter.id]
    assert public == [], [m.content for m in public]  # no "thinking…" left behind either
    return followup
