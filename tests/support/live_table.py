"""A Discord table playing on a real `fumblebot run`: for restart and crash tests.

`live_table` starts the real process against the Discord emulator, with a
guild, a channel and its GM, Core's query key set and a short outbox delay,
and yields a `LiveTable` that can stop and start that process again on the
same data directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

from tests.emulators.discord_api import DiscordEmulator, EmuInteraction
from tests.emulators.discord_models import EmuChannel, EmuGuild, EmuUser
from tests.support.fumblebot_process import FumbleBotProcess, run_env, wait_healthy

SERVICE_KEY = "test-service-key"


@dataclass
class LiveTable:
    """The emulated guild, channel and GM, and the process they play on."""

    emu: DiscordEmulator
    guild: EmuGuild
    channel: EmuChannel
    gm: EmuUser
    process: FumbleBotProcess
    bridge_url: str
    core_url: str
    http: httpx2.AsyncClient

    async def slash(self, command: str, options: dict[str, object] | None = None) -> EmuInteraction:
        """Run a slash command as the GM in the table's channel."""
        return await self.emu.invoke_slash(
            self.guild, self.channel, self.gm, command, options or {}
        )

    async def start(self) -> None:
        """Start the process; return once both servers answer and the bot synced."""
        syncs = len(self.emu.state.command_syncs)
        await self.process.start()
        await wait_healthy(self.http, f"{self.bridge_url}/health")
        await wait_healthy(self.http, f"{self.core_url}/health")
        await self.emu.state.wait_until(
            lambda: len(self.emu.state.command_syncs) > syncs, 30, "the bot to sync its commands"
        )

    async def restart(self) -> str:
        """Stop the process cleanly (SIGTERM) and start it again; return its stderr."""
        code, err = await self.process.stop()
        assert code == 0, err
        assert "Traceback" not in err, err
        await self.start()
        return err


@contextlib.asynccontextmanager
async def live_table(
    emu: DiscordEmulator, tmp_path: Path, **extra_env: str
) -> AsyncIterator[LiveTable]:
    """Start `fumblebot run` for a new table; `extra_env` adds or overrides settings."""
    gm = emu.add_user("gwen", global_name="Gwen")
    guild = emu.add_guild(name="Friday Game", owner=gm)
    channel = emu.add_text_channel(guild, name="table")
    run = run_env(
        tmp_path,
        FUMBLEBOT_CORE_API_KEY=SERVICE_KEY,
        FUMBLEBOT_DISCORD_TOKEN=emu.bot_token,
        FUMBLEBOT_OUTBOX_MAX_DELAY="0.2",
        **extra_env,
    )
    process = FumbleBotProcess(run.env, emu=emu)
    async with httpx2.AsyncClient(timeout=5) as http:
        table = LiveTable(emu, guild, channel, gm, process, run.bridge_url, run.core_url, http)
        await table.start()
        try:
            yield table
        finally:
            # The test may have stopped it already, or left it killed.
            with contextlib.suppress(AssertionError):
                await process.stop()


async def create_campaign(table: LiveTable) -> str:
    """Create a campaign with /campaign create; return its id."""
    inter = await table.slash("campaign create", {"name": "Curse of Strahd"})
    await inter.wait_response()
    followup = await inter.wait_followup()
    return str(followup.embeds[0]["footer"]["text"]).removeprefix("campaign ")


async def pair(table: LiveTable) -> str:
    """Run /link in Discord and redeem the code as the extension does; return the token."""
    response = await (await table.slash("link")).wait_response()
    code = (response.content or "").split("`")[1]
    body = {"code": code, "platform": "roll20", "player_id": "-P1"}
    linked = await table.http.post(f"{table.bridge_url}/vtt/accounts/link", json=body)
    assert linked.status_code == 201, linked.text
    return str(linked.json()["token"])
