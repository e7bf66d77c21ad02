"""The bot runs sharded when shards are configured."""

from __future__ import annotations

import random

from bot.bot import BotDeps, FumbleBot, ShardedFumbleBot, create_bot
from bot.settings import BotSettings
from core_client import Outbox
from core_client.dice import Limits
from tests.emulators.discord_api import DiscordEmulator, run_bot


def make(outbox: Outbox, shards: int) -> FumbleBot:
    deps = BotDeps(reporter=outbox, rng=random.Random(1), dice_limits=Limits())
    return create_bot(settings=BotSettings(shard_count=shards), deps=deps)


async def test_without_shards_the_bot_is_not_sharded(outbox: Outbox) -> None:
    bot = make(outbox, 0)
    assert type(bot) is FumbleBot


async def test_sharded_bot_connects_every_shard_and_answers(
    emu: DiscordEmulator, outbox: Outbox
) -> None:
    owner = emu.add_user("gm")
    guilds = [emu.add_guild(name=f"g{i}", owner=owner) for i in range(4)]
    channels = [emu.add_text_channel(g, name="table") for g in guilds]
    bot = make(outbox, 2)
    assert isinstance(bot, ShardedFumbleBot)
    async with bot, run_bot(bot, emu):
        assert sorted(bot.shards) == [0, 1]
        for guild, channel in zip(guilds, channels, strict=True):
            inter = await emu.invoke_slash(guild, channel, owner, "roll", {"expression": "1d4"})
            assert (await inter.wait_response()).type == 4
