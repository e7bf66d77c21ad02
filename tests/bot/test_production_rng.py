"""The rolls players see are drawn by the block generator, on every production path.

The service is opened by the composition root itself (`serve._open_service`, with a
Discord token so the bot is built, though never connected), so the test proves
what `fumblebot run` wires, not a hand-built bot or bridge.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

from bot import serve
from bot.cli import roll_rng
from bot.config import load
from bot.serve import Roles
from bridge.api import Services
from core_client import signing
from core_client.dice import BlockRandom


def _environment(data_dir: Path) -> dict[str, str]:
    return {
        "FUMBLEBOT_PATHS_DATA_DIR": str(data_dir),
        "FUMBLEBOT_CORE_URL": "http://127.0.0.1:9",  # nothing listens: nothing is sent
        "FUMBLEBOT_WEBHOOK_SECRETS": signing.generate_secret(),
        "FUMBLEBOT_DISCORD_TOKEN": "not-a-real-token",
    }


async def test_the_bot_and_the_bridge_roll_with_the_block_generator(tmp_path: Path) -> None:
    settings = serve.resolve(load(None, _environment(tmp_path)), Roles(core=False, service=True))
    async with contextlib.AsyncExitStack() as stack:
        service_app, bridge_app, bot, _ = await serve._open_service(stack, settings)
        lifespan = service_app.router.lifespan_context(service_app)  # type: ignore[attr-defined]
        await stack.enter_async_context(lifespan)
        assert bot is not None
        assert type(bot.rng) is BlockRandom
        services: Services = bridge_app.state.services
        assert type(services.intake.rng) is BlockRandom
        assert bot.rng is not services.intake.rng  # no state shared between the two ends


def test_the_roll_command_uses_the_block_generator_unless_seeded() -> None:
    assert type(roll_rng(None)) is BlockRandom
    seeded = roll_rng(7)
    assert type(seeded) is random.Random
    assert seeded.random() == random.Random(7).random()
