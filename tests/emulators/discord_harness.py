"""Glue between the emulator and discord.py: redirect the library and run a bot against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, TypeVar

import discord
import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from .discord_api import DiscordEmulator

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def point_discord_py_at(emu: DiscordEmulator) -> Iterator[None]:
    """Point ``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` at ``emu``
    for the duration of the block (restored afterwards, even on error)."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = emu.rest_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def _has_app_commands(bot: discord.Client) -> bool:
    tree = getattr(bot, "tree", None)
    if tree is None:
        return False
    return any(
        getattr(tree, attr, None)
        for attr in ("_global_commands", "_guild_commands", "_context_menus")
    )


@contextlib.asynccontextmanager
async def run_bot(
    bot: ClientT,
    emu: DiscordEmulator,
    *,
    timeout: float = 10.0,
    wait_for_sync: bool | None = None,
    fast_ready: bool = True,
) -> AsyncIterator[ClientT]:
    """Start ``bot`` against ``emu``, wait for ``on_ready`` and (if the bot has app commands, or
    ``wait_for_sync=True``) for a command sync made during this run; yield; then close it cleanly.

    ``fast_ready`` shortens discord.py's ``guild_ready_timeout`` (2 s of idle waiting before
    ``on_ready``) so tests stay fast; the emulator sends every GUILD_CREATE right after READY.
    """
    if fast_ready:
        bot._connection.guild_ready_timeout = min(bot._connection.guild_ready_timeout, 0.05)
    syncs_before = len(emu.state.command_syncs)
    with point_discord_py_at(emu):
        task = asyncio.create_task(bot.start(emu.bot_token), name="run_bot:start")
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not bot.is_ready():
                if task.done():
                    task.result()  # raises e.g. LoginFailure
                    raise RuntimeError("bot.start() returned before the bot became ready")
                if loop.time() > deadline:
                    raise TimeoutError(f"bot not ready after {timeout}s{emu.state.hint()}")
                await asyncio.sleep(0.01)
            expect_sync = _has_app_commands(bot) if wait_for_sync is None else wait_for_sync
            if expect_sync:
                remaining = max(deadline - loop.time(), 0.5)
                await emu.state.wait_until(
                    lambda: len(emu.state.command_syncs) > syncs_before,
                    remaining,
                    "the bot to sync its app commands (pass wait_for_sync=False if it never does)",
                )
            yield bot
        finally:
            await bot.close()
            if not task.done():
                try:
                    await asyncio.wait_for(task, timeout)
                except (TimeoutError, asyncio.CancelledError):
                    task.cancel()
            if task.done() and not task.cancelled():
                task.exception()  # mark retrieved; errors were already raised above
