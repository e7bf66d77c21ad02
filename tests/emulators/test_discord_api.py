"""The Discord emulator drives the real discord.py client end to end."""

from __future__ import annotations

import asyncio
import io
import json
import re
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.emulators.discord_api import (
    DiscordEmulator,
    EmuChannel,
    EmuGuild,
    EmuUser,
    Perm,
    point_discord_py_at,
    run_bot,
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
CHARACTERS = ["Aragorn", "Arwen", "Boromir"]


class Confirm(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Yes", custom_id="confirm:yes", style=discord.ButtonStyle.success)
    async def yes(
        self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]
    ) -> None:
        await interaction.response.edit_message(
            content=f"Confirmed by {interaction.user.name}", view=None
        )


class PickClass(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.select(
        custom_id="pick:class",
        options=[discord.SelectOption(label=c, value=c) for c in ("fighter", "wizard")],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[PickClass]
    ) -> None:
        await interaction.response.send_message(f"You picked {select.values[0]}", ephemeral=True)


class DemoBot(commands.Bot):
    def __init__(self, *, sync_guild: int | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents)
        self.sync_guild = sync_guild
        self.send_errors: list[discord.HTTPException] = []
        self._register()

    async def setup_hook(self) -> None:
        if self.sync_guild is None:
            await self.tree.sync()
        else:
            guild = discord.Object(self.sync_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        for attachment in message.attachments:
            data = await attachment.read()
            await message.channel.send(f"got {attachment.filename} ({len(data)} bytes)")
        for expr in re.findall(r"\[\[(.+?)\]\]", message.content):
            await message.reply(f"{message.author.name} rolls {expr}: 17")

    def _register(self) -> None:
        tree = self.tree

        @tree.command(description="Ping with an embed")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                embed=discord.Embed(title="Pong", description="alive")
            )

        @tree.command(description="Defer, then follow up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            await interaction.followup.send("done thinking")

        @tree.command(description="Defer publicly, then follow up 'ephemerally'")
        async def blurt(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("oops", ephemeral=True)

        @tree.command(description="Defer publicly, retract the placeholder, whisper")
        async def whisper(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.delete_original_response()
            await interaction.followup.send("just for you", ephemeral=True)

        @tree.command(description="Ask for confirmation")
        async def confirm(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Sure?", view=Confirm())

        @tree.command(description="Post text of a given length to this channel")
        async def shout(interaction: discord.Interaction, length: int) -> None:
            await interaction.response.defer(ephemeral=True)
            assert isinstance(interaction.channel, discord.TextChannel)
            try:
                await interaction.channel.send("x" * length)
            except discord.HTTPException as exc:
                self.send_errors.append(exc)
                await interaction.followup.send(f"failed: {exc.code}", ephemeral=True)
                return
            await interaction.followup.send("sent", ephemeral=True)

        @tree.command(description="Relay a line through a channel webhook")
        async def relay(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.defer(ephemeral=True)
            assert isinstance(interaction.channel, discord.TextChannel)
            hook = await interaction.channel.create_webhook(name="FumbleRelay")
            await hook.send(
                text,
                username="Gandalf (Foundry)",
                avatar_url="https://example.invalid/g.png",
                wait=True,
            )
            await interaction.followup.send("relayed", ephemeral=True)

        @tree.command(description="Send a chart")
        async def chart(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Rolls").set_image(url="attachment://chart.png")
            await interaction.response.send_message(
                embed=embed, file=discord.File(io.BytesIO(PNG), "chart.png")
            )

        @tree.command(description="Whisper to yourself")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.user.send("psst")
            await interaction.response.send_message("check your DMs", ephemeral=True)

        @tree.command(description="Pick a class")
        async def pick(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Choose:", view=PickClass())

        @tree.command(description="Answer, then edit the answer")
        async def draft(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("v1")
            await interaction.edit_original_response(content="v2")

        @tree.command(description="Who is that?")
        async def whois(interaction: discord.Interaction, member: discord.Member) -> None:
            assert interaction.guild is not None
            fetched = await interaction.guild.fetch_member(member.id)
            channel = await interaction.client.fetch_channel(interaction.channel_id or 0)
            assert isinstance(channel, discord.TextChannel)
            perms = "admin" if interaction.permissions.administrator else "player"
            await interaction.response.send_message(f"{fetched.name} in #{channel.name}: {perms}")

        campaign = app_commands.Group(name="campaign", description="Campaigns")

        @campaign.command(name="create", description="Create a campaign")
        async def create(interaction: discord.Interaction, name: str, players: int = 4) -> None:
            await interaction.response.send_message(f"Created {name} for {players}")

        character = app_commands.Group(name="character", description="Characters")

        @character.command(name="show", description="Show a character")
        async def show(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(name)

        @show.autocomplete("name")
        async def show_name(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=c, value=c)
                for c in CHARACTERS
                if c.lower().startswith(current.lower())
            ]

        tree.add_command(campaign)
        tree.add_command(character)


@dataclass
class World:
    emu: DiscordEmulator
    guild: EmuGuild
    table: EmuChannel
    alice: EmuUser
    bob: EmuUser


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with DiscordEmulator() as emu:
        alice, bob = emu.add_user("alice"), emu.add_user("bob")
        guild = emu.add_guild(name="Fellowship", owner=alice)
        emu.add_member(guild, bob)
        table = emu.add_text_channel(guild, name="table")
        yield World(emu, guild, table, alice, bob)
        assert emu.unknown_routes == []


async def test_login_sync_and_slash_command_with_embed(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu) as bot:
        synced = await emu.wait_commands_synced()
        assert {c.name for c in synced} >= {"ping", "slow", "campaign", "character"}
        assert bot.user is not None
        assert bot.user.id == emu.bot_user.id
        assert bot.get_guild(world.guild.id) is not None

        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "ping")
        resp = await inter.wait_response()
        assert resp.type == 4
        assert resp.embed is not None
        assert (resp.embed["title"], resp.embed["description"]) == ("Pong", "alive")
        assert not inter.late
        original = inter.original_message()
        assert original is not None
        assert original.embeds[0]["description"] == "alive"
    routes = {r.route_name for r in emu.requests}
    assert {"get_current_user", "application_info", "bulk_upsert_global_commands"} <= routes


async def test_guild_sync_and_subcommand_options(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(sync_guild=world.guild.id), emu):
        synced = await emu.wait_commands_synced(world.guild)
        assert "campaign" in {c.name for c in synced}
        assert emu.commands() == []  # nothing global
        create = "campaign create"
        inter = await emu.invoke_slash(
            world.guild, world.table, world.bob, create, {"name": "Moria"}
        )
        assert (await inter.wait_response()).content == "Created Moria for 4"
        options = {"name": "Rohan", "players": 6}
        inter = await emu.invoke_slash(world.guild, world.table, world.bob, create, options)
        assert (await inter.wait_response()).content == "Created Rohan for 6"
        with pytest.raises(ValueError, match="required"):
            await emu.invoke_slash(world.guild, world.table, world.bob, create, {})


async def test_deferred_response_then_followup(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "slow")
        assert (await inter.wait_response()).type == 5
        followup = await inter.wait_followup()
        assert followup.content == "done thinking"
        original = await inter.wait_original()  # the followup replaced the "thinking" message
        assert original.id == followup.id
        assert not original.loading


async def test_the_first_followup_keeps_the_public_defers_visibility(world: World) -> None:
    """Discord: the first follow-up edits the deferred reply; its ephemeral flag is ignored."""
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "blurt")
        assert not (await inter.wait_response()).ephemeral
        followup = await inter.wait_followup()
        assert followup.content == "oops"
        assert followup.id == inter.record.original_message_id
        assert not followup.ephemeral  # the whole channel sees it
        assert [m.content for m in emu.channel_messages(world.table)] == ["oops"]


async def test_a_followup_after_the_placeholder_is_deleted_is_its_own_message(
    world: World,
) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "whisper")
        followup = await inter.wait_followup()
        assert followup.content == "just for you"
        assert followup.ephemeral
        assert followup.id != inter.record.original_message_id
        assert emu.channel_messages(world.table) == []  # the channel sees nothing


async def test_button_click_updates_message(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "confirm")
        resp = await inter.wait_response()
        assert resp.content == "Sure?"
        assert resp.custom_ids == ["confirm:yes"]
        click = await inter.click_button("confirm:yes", world.bob)
        assert (await click.wait_response()).type == 7
        message = inter.original_message()
        assert message is not None
        assert message.content == "Confirmed by bob"
        assert message.components == []


async def test_autocomplete_on_subcommand(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        choices = await emu.autocomplete(
            world.guild, world.table, world.alice, "character show", {"name": "Ar"}, focused="name"
        )
        assert [c["value"] for c in choices] == ["Aragorn", "Arwen"]


async def test_rate_limited_channel_send_is_waited_out(world: World) -> None:
    emu = world.emu
    rule = emu.inject_rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.2)
    async with run_bot(DemoBot(), emu):
        inter = await emu.invoke_slash(
            world.guild, world.table, world.alice, "shout", {"length": 12}
        )
        assert (await inter.wait_followup()).content == "sent"
        assert [m.content for m in emu.channel_messages(world.table)] == ["x" * 12]
    sends = emu.requests_for("send_message")
    assert rule.hits == 1
    assert [r.status for r in sends] == [429, 200]
    assert sends[1].time - sends[0].time >= 0.2


async def test_over_limit_content_and_embeds_are_rejected(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu) as bot:
        options = {"length": 2001}
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "shout", options)
        assert (await inter.wait_followup()).content == "failed: 50035"
        assert bot.send_errors[0].status == 400
        channel = bot.get_channel(world.table.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as excinfo:
            await channel.send(embed=discord.Embed(description="d" * 4097))
        assert excinfo.value.code == 50035
        assert "embeds.0.description" in excinfo.value.text
        with pytest.raises(discord.HTTPException, match="6000"):
            await channel.send(embeds=[discord.Embed(description="d" * 4000) for _ in range(2)])
    assert emu.channel_messages(world.table) == []


async def test_channel_webhook_and_file_upload(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        options = {"text": "You shall not pass"}
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "relay", options)
        assert (await inter.wait_followup()).content == "relayed"
        [relayed] = emu.channel_messages(world.table)
        assert relayed.source == "webhook"
        assert relayed.content == "You shall not pass"
        assert relayed.username == "Gandalf (Foundry)"
        assert relayed.avatar_url == "https://example.invalid/g.png"

        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "chart")
        chart = await inter.wait_response()  # multipart: payload_json + files[0]
        assert chart.attachments[0].filename == "chart.png"
        assert chart.attachments[0].data == PNG
        assert chart.embed is not None
        assert chart.embed["image"]["url"] == "attachment://chart.png"


async def test_message_create_inline_roll_and_resume(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        posted = await emu.post_message(world.table, world.bob, "I swing [[1d20+5]]")
        reply = await emu.wait_channel_message(world.table)
        assert reply.content == "bob rolls 1d20+5: 17"
        assert reply.message_reference is not None
        assert reply.message_reference["message_id"] == str(posted.id)

        await emu.reconnect_gateway()  # op 7: discord.py must RESUME and keep working
        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "ping")
        assert (await inter.wait_response()).embed is not None
        assert len(emu.gateway.identify_payloads) == 1  # resumed, not re-identified


async def test_dms_selects_edits_fetches_and_attachments(world: World) -> None:
    emu = world.emu
    async with run_bot(DemoBot(), emu):
        dm = emu.dm_channel(world.alice)
        inter = await emu.invoke_slash(None, dm, world.alice, "ping")  # slash command in a DM
        assert (await inter.wait_response()).embed is not None

        inter = await emu.invoke_slash(world.guild, world.table, world.alice, "secret")
        assert (await inter.wait_response()).ephemeral
        whisper = emu.channel_messages(dm)[-1]  # after the /ping answer
        assert (whisper.source, whisper.content) == ("bot", "psst")

        inter = await emu.invoke_slash(world.guild, world.table, world.bob, "pick")
        await inter.wait_response()
        picked = await inter.select("pick:class", ["wizard"])
        assert (await picked.wait_response()).content == "You picked wizard"
        with pytest.raises(ValueError, match="not options"):
            await inter.select("pick:class", ["bard"])

        inter = await emu.invoke_slash(world.guild, world.table, world.bob, "draft")
        edited = await inter.wait_original(lambda m: m.content == "v2")
        assert [h["content"] for h in edited.history] == ["v1"]

        for user, expected in ((world.bob, "player"), (world.alice, "admin")):  # alice owns it
            options = {"member": user}
            inter = await emu.invoke_slash(world.guild, world.table, user, "whois", options)
            assert (await inter.wait_response()).content == f"{user.username} in #table: {expected}"

        await emu.post_message(world.table, world.bob, "my sheet", files=[("sheet.json", b"{}")])
        got = await emu.wait_channel_message(world.table, lambda m: m.content.startswith("got"))
        assert got.content == "got sheet.json (2 bytes)"


async def test_wrong_token_fails_login(world: World) -> None:
    bot = DemoBot()
    # bot.start() does not close its HTTP session on failure; `async with bot` does
    async with bot:
        with point_discord_py_at(world.emu), pytest.raises(discord.LoginFailure):
            await bot.start("not-the-token")
    assert [r.status for r in world.emu.requests_for("get_current_user")] == [401]


async def test_raw_gateway_zlib_stream(world: World) -> None:
    emu = world.emu
    inflate = zlib.decompressobj()

    async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        frame = await ws.receive_bytes(timeout=2)
        assert frame.endswith(b"\x00\x00\xff\xff")  # every frame is sync-flushed
        payload: dict[str, Any] = json.loads(inflate.decompress(frame))
        return payload

    async with aiohttp.ClientSession() as http:
        url = f"{emu.gateway_url}?v=10&encoding=json&compress=zlib-stream"
        async with http.ws_connect(url) as ws:
            hello = await receive(ws)
            assert hello["op"] == 10
            assert hello["d"]["heartbeat_interval"] > 0
            await ws.send_json({"op": 1, "d": None})
            assert (await receive(ws))["op"] == 11
            identify = {"token": emu.bot_token, "intents": 1, "properties": {}}
            await ws.send_json({"op": 2, "d": identify})
            ready, guild_create = await receive(ws), await receive(ws)
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["guilds"] == [{"id": str(world.guild.id), "unavailable": True}]
            assert (guild_create["t"], guild_create["s"]) == ("GUILD_CREATE", 2)
            members = guild_create["d"]["members"]
            assert [m["user"]["id"] for m in members] == [str(emu.bot_user.id)]  # no presences
            assert guild_create["d"]["owner_id"] == str(world.alice.id)

            await emu.post_message(world.table, world.bob, "hello")  # needs GUILD_MESSAGES
            await ws.send_json({"op": 1, "d": 2})
            assert (await receive(ws))["op"] == 11  # the ACK, no MESSAGE_CREATE before it
        async with http.ws_connect(f"{emu.gateway_url}?v=10&encoding=json") as ws:
            await ws.receive_json(timeout=2)
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1}})
            closing = await ws.receive(timeout=2)
            assert closing.type is aiohttp.WSMsgType.CLOSE
            assert closing.data == 4004


async def test_raw_rest_contract(world: World) -> None:
    """Content-Type, unknown routes, permissions, 40060 double ack, late callbacks."""
    emu = world.emu
    auth = {"Authorization": f"Bot {emu.bot_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.rest_base}/users/@me", headers=auth) as r:
            assert r.headers["Content-Type"] == "application/json"
            assert (await r.json())["id"] == str(emu.bot_user.id)
        async with http.get(f"{emu.rest_base}/nope/123", headers=auth) as r:
            assert r.status == 404
            assert await r.json() == {"message": "404: Not Found", "code": 0}
        assert [u.path for u in emu.unknown_routes] == ["/nope/123"]
        emu.state.unknown_routes.clear()

        locked = emu.add_text_channel(world.guild, name="gm-only")
        emu.set_permissions(locked, world.guild.everyone_role, deny=Perm.SEND_MESSAGES)
        url = f"{emu.rest_base}/channels/{locked.id}/messages"
        async with http.post(url, json={"content": "hi"}, headers=auth) as r:
            assert r.status == 403
            assert (await r.json())["code"] == 50013

        async with run_bot(DemoBot(), emu):
            inter = await emu.invoke_slash(world.guild, world.table, world.alice, "ping")
            await inter.wait_response()
            callback = f"{emu.rest_base}/interactions/{inter.id}/{inter.token}/callback"
            again = {"type": 4, "data": {"content": "again"}}
            async with http.post(callback, json=again) as r:
                assert r.status == 400
                assert (await r.json())["code"] == 40060
            assert inter.rejected_callbacks == [again]

            late = await emu.invoke_slash(world.guild, world.table, world.alice, "ping")
            late.record.created_at -= 4  # pretend the bot needed 4 s
            assert (await late.wait_response()).late
