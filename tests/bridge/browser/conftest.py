"""A table for the browser tests: Discord (emulated), the bot, Core, the bridge, Roll20's page.

The bot runs in-process against the Discord emulator and a real Core (the
fixtures of `tests/bot/conftest.py`); the bridge is the real app on a real
uvicorn on loopback, sharing the bot's bus and state store as `fumblebot run`
wires them, and can be stopped and started again on the same port; Roll20 is
`roll20_fixture`. Each player is a headless Chromium with the unpacked
extension loaded and its own profile.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Worker
from starlette.applications import Starlette

from bot.cogs.relay import RelayCog
from bridge.app import close_streams, create_app
from bridge.assets import extension_dir
from bridge.events import game_topic
from bridge.settings import BridgeSettings
from core_client import Outbox
from tests.bot.cogs.test_campaign_commands import create_campaign
from tests.bot.conftest import Table, ai, emu, openai_emulator, table  # noqa: F401 (fixtures)
from tests.bridge.browser.roll20_fixture import ChatLog
from tests.bridge.browser.roll20_fixture import create_app as create_roll20
from tests.emulators.discord_models import EmuUser
from tests.support.browser import extension_context
from tests.support.servers import RestartableServer, serve

SETTINGS = dataclasses.replace(
    BridgeSettings(),
    cors_origins=("https://app.roll20.net",),
    inject_lease_seconds=3.0,
    heartbeat_seconds=2.0,
    retry_ms=500,
)


async def eventually(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll `check` (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Player:
    """One player's Chromium: the extension, and Roll20 (the fixture) open in a tab."""

    name: str
    user: EmuUser
    context: BrowserContext
    worker: Worker  # the first: MV3 may stop it and start another (`stop_worker`)
    roll20: Page | None = None
    _ext_page: Page | None = None

    @property
    def extension_id(self) -> str:
        return self.worker.url.split("/")[2]

    def page_url(self, name: str) -> str:
        return f"chrome-extension://{self.extension_id}/{name}"

    async def link(self, bridge_url: str, code: str) -> str:
        """Link through the options page as a player would; return what it shows."""
        page = await self.context.new_page()
        await page.goto(self.page_url("options.html"))
        await page.fill("#bridge-url", bridge_url)
        await page.fill("#code", code)
        await page.click("#link")
        await page.wait_for_selector("#linked:not([hidden]), #error:not([hidden])")
        shown = await page.inner_text("body")
        await page.close()
        return shown

    async def open_roll20(self, url: str, *, gm: bool = False) -> Page:
        page = await self.context.new_page()
        await page.goto(f"{url}/editor/?player=-P{self.name}&name={self.name.title()}&gm={int(gm)}")
        # The content script reads only what is said after it started.
        await page.wait_for_selector("html[data-fumblebot-reading]", state="attached")
        self.roll20 = page
        return page

    async def say(self, text: str) -> None:
        """Type into Roll20's chat box and press its send button."""
        assert self.roll20 is not None
        await self.roll20.fill("#textchat-input textarea", text)
        await self.roll20.click("#textchat-input .btn")

    async def storage(self, key: str) -> Any:
        """Read the extension's storage from one of its pages (outlives its worker)."""
        if self._ext_page is None:
            self._ext_page = await self.context.new_page()
            await self._ext_page.goto(self.page_url("popup.html"))
        found = await self._ext_page.evaluate("(key) => chrome.storage.local.get(key)", key)
        return found.get(key)

    async def status(self) -> dict[str, Any]:
        """Return the extension's state as its popup shows it (from its storage)."""
        return dict(await self.storage("status") or {})

    async def stop_worker(self) -> None:
        """Stop the extension's service worker, as Chromium does to an idle MV3 worker."""
        assert self.roll20 is not None
        cdp = await self.context.new_cdp_session(self.roll20)
        versions: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerVersionUpdated", lambda e: versions.extend(e["versions"]))
        await cdp.send("ServiceWorker.enable")
        mine = f"chrome-extension://{self.extension_id}/"
        running = await eventually(
            lambda: [v for v in versions if v["scriptURL"].startswith(mine)], "the worker's version"
        )
        await cdp.send("ServiceWorker.stopWorker", {"versionId": running[-1]["versionId"]})
        await eventually(
            lambda: any(
                v["scriptURL"].startswith(mine) and v["runningStatus"] == "stopped"
                for v in versions
            ),
            "the worker to stop",
        )
        await cdp.detach()

    async def holds(self) -> bool:
        """Return whether this extension holds its game's inject lease."""
        return bool((await self.status()).get("holder"))

    async def popup(self) -> str:
        page = await self.context.new_page()
        await page.goto(self.page_url("popup.html"))
        await page.wait_for_function("document.querySelector('#state').textContent.length > 0")
        text = await page.inner_text("body")
        await page.close()
        return text

    async def chat_texts(self) -> list[str]:
        assert self.roll20 is not None
        texts: list[str] = await self.roll20.eval_on_selector_all(
            "#textchat .message", "els => els.map(e => e.textContent)"
        )
        return texts


@dataclass
class Game:
    """The table, its campaign and game, the bridge and Roll20's chat log."""

    table: Table
    campaign_id: str
    game_id: str
    bridge: RestartableServer
    bridge_app: Starlette
    roll20_url: str
    log: ChatLog
    outbox: Outbox
    stack: AsyncExitStack
    profiles: Path

    async def code_for(self, user: EmuUser) -> str:
        """Run /link in Discord as `user`; return the pairing code it shows."""
        inter = await self.table.emu.invoke_slash(
            self.table.guild, self.table.channel, user, "link", {}
        )
        response = await inter.wait_response()
        return (response.content or "").split("`")[1]

    async def player(self, name: str, user: EmuUser | None = None, *, gm: bool = False) -> Player:
        """Start a player's Chromium with the extension, linked, with Roll20 open."""
        if user is None:
            user = self.table.emu.add_user(name, global_name=name.title())
            self.table.emu.add_member(self.table.guild, user)
        context = await self.stack.enter_async_context(
            extension_context(extension_dir(), self.profiles / name)
        )
        worker = context.service_workers[0] if context.service_workers else None
        worker = worker or await context.wait_for_event("serviceworker")
        player = Player(name, user, context, worker)
        shown = await player.link(self.bridge.url, await self.code_for(user))
        assert "Linked as" in shown, shown
        await player.open_roll20(self.roll20_url, gm=gm)
        await eventually(lambda: _state_is(player, "connected"), f"{name}'s extension to connect")
        return player

    async def relay_ready(self) -> None:
        relay = self.table.bot.get_cog("RelayCog")
        assert isinstance(relay, RelayCog)
        topic = game_topic(self.campaign_id, self.game_id)
        await eventually(lambda: relay.follows(topic), "the relay to follow the game")

    async def stop_bridge(self) -> None:
        """Stop the bridge as `fumblebot run` does: end its streams, then the server."""
        close_streams(self.bridge_app)
        await self.bridge.stop()

    def webhook_posts(self) -> list[str]:
        return [
            m.content or ""
            for m in self.table.emu.channel_messages(self.table.channel)
            if m.source == "webhook"
        ]


async def _state_is(player: Player, state: str) -> bool:
    return (await player.status()).get("state") == state


@pytest.fixture
async def game(
    table: Table,  # noqa: F811 (the fixture imported above)
    outbox: Outbox,
    tmp_path: Path,
) -> AsyncIterator[Game]:
    campaign_id = await create_campaign(table)
    [link] = await table.bot.core.game_links(discord_channel_id=str(table.channel.id))
    app = create_app(SETTINGS, reporter=outbox, bus=table.bus, store=table.store)
    bridge = RestartableServer(app)
    await bridge.start()
    log = ChatLog()
    async with AsyncExitStack() as stack, serve(create_roll20(log)) as roll20_url:
        yield Game(
            table, campaign_id, str(link["id"]), bridge, app, roll20_url, log, outbox, stack,
            tmp_path / "profiles",
        )  # fmt: skip
        await stack.aclose()  # the browsers first, then the servers they talk to
        await bridge.stop()
