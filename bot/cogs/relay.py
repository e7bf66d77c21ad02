"""The relay between linked Discord channels and their VTT games, and inline rolls.

Discord -> VTT: a message in a linked channel is published on its game's bus
topic (when chat sync is on); `[[...]]` in it is rolled, answered in Discord,
reported to Core and published as a roll (when roll sync is on).

VTT -> Discord: one subscription covers every linked game, renewed when a
binding changes or every minute, and each renewal resumes after the last event
taken, so none is lost in between. Each event goes to its channel through
the channel's webhook, under the speaker's name, through a `ChannelPoster`
that keeps the line in the relay's queue file until Discord took it, waits
out 429s and coalesces bursts. Lines left from before a
restart are posted when the bot is ready again. A channel that refuses posts
for good (deleted, no Manage Webhooks) is reported to the campaign's GM once.
GM-only and whispered events go to the GM by direct message, never to the
channel. Events that started in Discord are skipped, which is what stops
echo loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.campaigns import ChannelBinding, gm_discord_id
from bot.played import played_by
from bot.relay.coalesce import Line, Post
from bot.relay.pending import MEMORY, PendingLines
from bot.relay.poster import ChannelPoster, PermanentSendError, RateLimitedSendError
from bot.relay.render import inline_reply, line_for
from bot.webhooks import ChannelWebhooks
from bridge.bus import BusEvent, SubscriberLaggingError
from bridge.events import (
    Origin,
    Viewer,
    chat_event,
    game_event,
    game_topic,
    roll_event,
    visible_to,
)
from core_client import CoreClientError, Platform, RecordError, dice, dice_refs
from core_client.contract import ChatMessage, codec
from core_client.critrules import Rule
from core_client.dice_records import judged, to_record

if TYPE_CHECKING:
    from bot.bot import FumbleBot

log = logging.getLogger(__name__)

BOT_VIEWER = Viewer(platform="discord", gm=True)
RESUBSCRIBE_DELAY = 1.0
REFRESH_SECONDS = 60.0


class RelayCog(commands.Cog):
    """Chat and roll relay, and inline rolls in linked channels."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot
        self.webhooks = ChannelWebhooks(bot)
        self._posters: dict[int, ChannelPoster] = {}
        self._pending: PendingLines | None = None
        self._routes: dict[str, ChannelBinding] = {}
        self._channels: dict[int, ChannelBinding] = {}  # who to tell when a channel refuses
        self._resumed = False
        self._subscribed: frozenset[str] = frozenset()
        # The last event taken from the bus: a new subscription resumes after
        # it, so what is published while routes are looked up again is kept.
        self._cursor: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        # Referenced until done, so a pending DM is never garbage-collected mid-flight.
        self._side_tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        """Start following the linked games once the bot is up."""
        if self.bot.deps.bus is not None and self.bot.deps.core is not None:
            self._pending = await PendingLines.open(self.bot.deps.relay_path or MEMORY)
            if self.bot.deps.metrics is not None:  # lines kept from the last run
                self.bot.deps.metrics.relay_queue.set(await self._pending.count())
            self._task = asyncio.create_task(self._follow(), name="vtt-relay")

    async def cog_unload(self) -> None:
        """Stop following; unsent lines stay in the queue file for the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for poster in self._posters.values():
            await poster.aclose()
        if self._pending is not None:
            await self._pending.close()

    @commands.Cog.listener()
    async def on_binding_changed(
        self, old: ChannelBinding | None, new: ChannelBinding | None
    ) -> None:
        """Re-subscribe when a channel is bound or unbound."""
        self._changed.set()

    def follows(self, topic: str) -> bool:
        """Return whether the relay is subscribed to a game's topic."""
        return topic in self._subscribed

    async def drained(self, timeout: float = 10.0) -> bool:
        """Wait until every queued relay post is sent (for tests and shutdown)."""
        results = [await p.drained(timeout) for p in self._posters.values()]
        return all(results)

    # -- Discord -> VTT ---------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Relay a linked channel's message and roll its inline rolls."""
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        try:
            binding = await self.bot.channels.binding(message.channel.id)
        except (CoreClientError, discord.DiscordException):
            log.warning("could not look up channel %s's campaign", message.channel.id)
            return
        if binding is None:
            return
        if "[[" in message.content:
            await self._inline(message, binding)
        if binding.link["sync_chat"] and message.content:
            await self._publish_chat(message, binding)

    async def _inline(self, message: discord.Message, binding: ChannelBinding) -> None:
        played = await played_by(self.bot.channels, binding, message.author.id)
        try:
            text = message.content
            if dice_refs.has_refs(text):
                stats = played.stats if played is not None else None
                name = played.name if played is not None else ""
                text = dice_refs.resolve_inline(text, stats, character=name)
            rolled = dice.roll_inline(text, rng=self.bot.rng, limits=self.bot.dice_limits)
        except dice.DiceError as exc:
            await message.reply(f"⚠️ {exc}", mention_author=False)
            return
        if not rolled:
            return
        origin = _origin(message)
        try:
            rules: list[Rule] | None = await self.bot.channels.crit_rules(binding.campaign_id)
        except CoreClientError:
            rules = None  # the dice's own crits; Core applies the rules when it stores them
        for item in rolled:
            record = to_record(
                judged(item.result, rules),
                campaign_id=binding.campaign_id,
                actor_id=str(message.author.id),
                actor_name=message.author.display_name,
                character_id=played.id if played is not None else None,
                character_name=played.name if played is not None else None,
                source_message_id=str(message.id),
            )
            with contextlib.suppress(CoreClientError):
                await self.bot.reporter.put(record.event())
            if binding.link["sync_rolls"] and self.bot.deps.bus is not None:
                data = roll_event(record, origin, game_id=binding.game_id)
                await self.bot.deps.bus.publish(_topic(binding), "roll", data)
        await message.reply(inline_reply(text, rolled), mention_author=False)

    async def _publish_chat(self, message: discord.Message, binding: ChannelBinding) -> None:
        name = message.author.display_name
        if self.bot.deps.bus is not None:
            data = chat_event(
                binding.campaign_id,
                binding.game_id,
                _origin(message),
                speaker=name,
                text=message.content,
            )
            await self.bot.deps.bus.publish(_topic(binding), "chat", data)
        payload = ChatMessage(
            campaign_id=binding.campaign_id,
            platform=Platform.DISCORD,
            text=message.content[:4000],
            channel_id=str(message.channel.id),
            author_id=str(message.author.id),
            author_name=name,
        )
        # A line Core would refuse (an empty one, say) is dropped here, not dead-lettered.
        with contextlib.suppress(CoreClientError):
            await self.bot.reporter.put(
                codec.validated(payload).event(f"chat_discord_{message.id}")
            )

    # -- VTT -> Discord ---------------------------------------------------

    async def _follow(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            self._changed.clear()
            try:
                await self._refresh_routes()
                await self._consume()
                continue
            except asyncio.CancelledError:
                raise
            except SubscriberLaggingError:
                log.warning("relay fell behind the bus; resubscribing")
            except CoreClientError as exc:
                # Core restarting or stopping first on shutdown: expected, not a bug.
                log.warning("relay could not reach Core (%s); retrying shortly", type(exc).__name__)
            except Exception:
                log.exception("relay failed; resubscribing shortly")
            await asyncio.sleep(RESUBSCRIBE_DELAY)

    async def _refresh_routes(self) -> None:
        routes: dict[str, ChannelBinding] = {}
        for link in await self.bot.core.game_links():
            if link["discord_channel_id"] is None:
                continue
            channel_id = int(link["discord_channel_id"])
            binding = await self.bot.channels.binding(channel_id)
            if binding is not None:
                routes[_topic(binding)] = binding
                self._channels[channel_id] = binding
        self._routes = routes
        if not self._resumed and self._pending is not None:
            # Lines a previous run could not post yet: post them first.
            self._resumed = True
            for channel_id in await self._pending.channels():
                self._poster(channel_id).wake()

    async def _consume(self) -> None:
        bus = self.bot.deps.bus
        if bus is None or not self._routes:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), REFRESH_SECONDS)
            return
        topics = list(self._routes)
        async with bus.subscribe(topics, last_event_id=self._cursor, queue_size=1024) as sub:
            changed = asyncio.ensure_future(self._changed.wait())
            self._subscribed = frozenset(self._routes)
            refresh_at = asyncio.get_running_loop().time() + REFRESH_SECONDS
            try:
                events = aiter(sub)
                while not changed.done():
                    nxt = asyncio.ensure_future(anext(events))
                    timeout = max(0.0, refresh_at - asyncio.get_running_loop().time())
                    await asyncio.wait(
                        {nxt, changed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                    )
                    if not nxt.done():
                        # A binding changed here, or it is time to pick up
                        # links made elsewhere (another shard, Core's API).
                        nxt.cancel()
                        return
                    event = nxt.result()
                    self._cursor = event.id  # past it even if it fails: never a loop on one
                    await self._deliver(event)
            finally:
                self._subscribed = frozenset()
                changed.cancel()

    async def _deliver(self, event: BusEvent) -> None:
        binding = self._routes.get(event.topic)
        if binding is None or not visible_to(event.data, BOT_VIEWER):
            return
        wanted = binding.link["sync_rolls"] if event.type == "roll" else binding.link["sync_chat"]
        if not wanted:
            return
        try:
            game = game_event(event.data)
        except RecordError as exc:
            log.warning("skipping a malformed %s event on %s: %s", event.type, event.topic, exc)
            return
        line = line_for(event.type, game)
        if line is None:
            return
        # `users` is [] for a private roll naming no one: still not the channel's.
        if game.audience.gm_only or game.audience.users is not None:
            task = asyncio.create_task(self._to_gm(binding, line))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)
            task.add_done_callback(_log_failure)
            return
        channel_id = int(binding.link["discord_channel_id"] or 0)
        self._channels[channel_id] = binding
        await self._poster(channel_id).put(line)

    def _poster(self, channel_id: int) -> ChannelPoster:
        poster = self._posters.get(channel_id)
        if poster is None:
            assert self._pending is not None, "the relay is not loaded"

            async def send(post: Post) -> None:
                await self._send(channel_id, post)

            async def refused(exc: PermanentSendError) -> None:
                await self._tell_gm_refused(channel_id, exc)

            metrics = self.bot.deps.metrics
            poster = ChannelPoster(
                channel_id,
                self._pending,
                send,
                on_refused=refused,
                on_depth=metrics.relay_queue.set if metrics is not None else None,
            )
            self._posters[channel_id] = poster
        return poster

    async def _send(self, channel_id: int, post: Post) -> None:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise PermanentSendError("the channel is gone or not a text channel")
        try:
            try:
                await self._post(channel, post)
            except discord.NotFound:
                # Our webhook was deleted (and forgotten): once more, with a new one.
                await self._post(channel, post)
        except discord.HTTPException as exc:
            if exc.status == 429:
                # discord.py gave up after its own retries; a 429 is never final.
                raise RateLimitedSendError(_retry_after(exc)) from exc
            # Another 4xx will not change on retry, while 5xx and network errors may.
            if 400 <= exc.status < 500:
                raise PermanentSendError(f"Discord refused the post ({exc})") from exc
            raise

    async def _post(self, channel: discord.TextChannel, post: Post) -> None:
        await self.webhooks.send(
            channel, post.content, username=post.username, avatar_url=post.avatar_url
        )

    async def _tell_gm_refused(self, channel_id: int, exc: PermanentSendError) -> None:
        binding = self._channels.get(channel_id)
        gm = gm_discord_id(binding.campaign) if binding is not None else None
        if gm is None:
            log.error("relay to channel %s refused and no GM to tell: %s", channel_id, exc)
            return
        user = self.bot.get_user(int(gm)) or await self.bot.fetch_user(int(gm))
        await user.send(
            f"⚠️ FumbleBot cannot post lines from the VTT in <#{channel_id}>: "
            f"{str(exc).rstrip('.')}. "
            "Until that is fixed they do not reach Discord there; this is the only "
            "message about it until a post gets through again."[:2000]
        )

    async def _to_gm(self, binding: ChannelBinding, line: Line) -> None:
        gm = gm_discord_id(binding.campaign)
        if gm is None:
            log.info("GM-only VTT event dropped from Discord: campaign has no GM recorded")
            return
        user = self.bot.get_user(int(gm)) or await self.bot.fetch_user(int(gm))
        await user.send(f"🔒 **{line.speaker}** (GM only): {line.text}"[:2000])


def _topic(binding: ChannelBinding) -> str:
    return game_topic(binding.campaign_id, binding.game_id)


def _origin(message: discord.Message) -> Origin:
    return Origin(
        platform=Platform.DISCORD,
        user_id=str(message.author.id),
        user_name=message.author.display_name,
        source_id=str(message.id),
    )


def _retry_after(exc: discord.HTTPException) -> float:
    """Return the wait Discord asked for in a 429's headers, in seconds."""
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("X-RateLimit-Reset-After", "Retry-After"):
        try:
            return float(headers[name])
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not send a GM-only relay message", exc_info=task.exception())
