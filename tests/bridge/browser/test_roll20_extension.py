"""The Roll20 extension in a real Chromium: Roll20 (the fixture) <-> bridge <-> Discord, once.

Each test drives headless Chromium with the unpacked extension from the
package (`bridge/extension/`), linked through its options page with a code
from `/link` in the Discord emulator; the bot, Core and the bridge are real.
"""

from __future__ import annotations

import httpx2
from starlette.applications import Starlette

from tests.bridge.browser.conftest import Game, Player, eventually
from tests.support.core import stored_rolls
from tests.support.metrics import scrape


async def test_a_roll_in_roll20_reaches_discord_and_core_once(
    game: Game, core_app: Starlette
) -> None:
    await game.relay_ready()
    alice = await game.player("alice", game.table.player, gm=True)
    await alice.say("/r 1d20+5")
    [message] = await eventually(lambda: game.log.messages, "Roll20 to show the roll")
    total = message["roll"]["total"]
    posts = await eventually(game.webhook_posts, "the roll to reach Discord")
    assert str(total) in posts[0], posts
    assert await game.outbox.flush()
    [stored] = await stored_rolls(core_app)
    assert (stored.platform, stored.total, stored.formula) == ("roll20", float(total), "1d20+5")
    await alice.say("The goblin flees.")
    await eventually(lambda: len(game.webhook_posts()) >= 2, "the chat line to reach Discord")
    # The chat line came after the roll, so by now a second copy of the roll would show.
    assert game.webhook_posts() == [posts[0], "The goblin flees."]
    assert len(await stored_rolls(core_app)) == 1


async def test_a_discord_message_appears_in_roll20_once(game: Game) -> None:
    alice = await game.player("alice", game.table.player, gm=True)
    await eventually(alice.holds, "alice's extension to hold the inject lease")
    emu = game.table.emu
    await emu.post_message(game.table.channel, game.table.player, "Roll initiative, everyone.")
    injected = await eventually(
        lambda: [m for m in game.log.messages if "Roll initiative" in m.get("text", "")],
        "the Discord message to be typed into Roll20",
    )
    assert [m["text"] for m in injected] == ["(Discord) Alice: Roll initiative, everyone."]
    # Typed by the extension, it is shown in Roll20 but never relayed back to Discord.
    await alice.say("Sentinel line.")
    await eventually(lambda: "Sentinel line." in game.webhook_posts(), "the sentinel")
    assert not [p for p in game.webhook_posts() if "initiative" in p]
    shown = await alice.chat_texts()
    assert sum("Roll initiative" in t for t in shown) == 1


async def test_two_players_extensions_give_no_duplicates_either_way(game: Game) -> None:
    await game.relay_ready()
    alice = await game.player("alice", game.table.player, gm=True)
    bob = await game.player("bob")
    await eventually(lambda: _one_holder(alice, bob), "one of the two to hold the lease")
    # Both Roll20 pages show bob's roll and alice's line; each is relayed once.
    await bob.say("/r 2d20kh1+3")
    await alice.say("Nice roll, Bob.")
    await eventually(lambda: len(game.webhook_posts()) >= 2, "both to reach Discord")
    await game.table.emu.post_message(game.table.channel, game.table.player, "From Discord.")
    for player in (alice, bob):
        await eventually(lambda p=player: _count(p, "From Discord."), f"{player.name} to see it")
    await bob.say("Sentinel line.")
    await eventually(lambda: "Sentinel line." in game.webhook_posts(), "the sentinel")
    posts = game.webhook_posts()
    assert len(posts) == 3, posts
    assert posts[1:] == ["Nice roll, Bob.", "Sentinel line."]
    assert sum("From Discord." in (m.get("text") or "") for m in game.log.messages) == 1
    for player in (alice, bob):
        assert await _count(player, "From Discord.") == 1


async def test_a_burst_of_lines_in_one_moment_is_relayed_whole(game: Game) -> None:
    await game.relay_ready()
    alice = await game.player("alice", game.table.player, gm=True)
    # Roll20 shows a burst at once (a page catching up, a macro): the page
    # reads every line in one go and the extension queues them all together.
    said = [f"Line {i} of the burst." for i in range(8)]
    for i, text in enumerate(said):
        who, player = ("Alice", "-Palice") if i % 2 else ("Bob", "-Pbob")
        game.log.add({"kind": "general", "who": who, "playerid": player, "text": text})
    await alice.say("Sentinel line.")
    # The relay joins a speaker's consecutive lines into one post: count lines.
    await eventually(lambda: "Sentinel line." in _relayed_lines(game), "the sentinel")
    assert _relayed_lines(game) == [*said, "Sentinel line."]


def _relayed_lines(game: Game) -> list[str]:
    return [line for post in game.webhook_posts() for line in post.split("\n")]


async def _one_holder(*players: Player) -> bool:
    held = [await p.holds() for p in players]
    return held.count(True) == 1


async def _count(player: Player, text: str) -> int:
    return sum(text in t for t in await player.chat_texts())


async def test_a_bridge_restart_mid_session_loses_nothing(game: Game) -> None:
    await game.relay_ready()
    alice = await game.player("alice", game.table.player, gm=True)
    await eventually(alice.holds, "alice's extension to hold the inject lease")
    emu, channel, gm = game.table.emu, game.table.channel, game.table.player
    await emu.post_message(channel, gm, "Before the restart.")
    await eventually(lambda: _count(alice, "Before the restart."), "the first line in Roll20")
    await game.stop_bridge()
    await eventually(lambda: _state_in(alice, "reconnecting"), "the extension to notice")
    await alice.say("/r 1d20+2")  # typed while the bridge is down: kept in the outbox
    await emu.post_message(channel, gm, "During the restart.")  # kept in the bus's history
    [roll] = await eventually(
        lambda: [m for m in game.log.messages if m["kind"] == "rollresult"], "the roll in Roll20"
    )
    await game.bridge.start()
    await eventually(lambda: _count(alice, "During the restart."), "the missed line in Roll20")
    await eventually(
        lambda: [p for p in game.webhook_posts() if str(roll["roll"]["total"]) in p],
        "the roll typed during the restart to reach Discord",
    )
    await alice.say("Sentinel line.")
    await eventually(lambda: "Sentinel line." in game.webhook_posts(), "the sentinel")
    assert len(game.webhook_posts()) == 2, game.webhook_posts()
    for line in ("Before the restart.", "During the restart."):
        assert await _count(alice, line) == 1
    assert (await alice.status())["state"] == "connected"


async def test_a_revoked_token_stops_the_extension_and_says_so(game: Game) -> None:
    alice = await game.player("alice", game.table.player, gm=True)
    inter = await game.table.emu.invoke_slash(
        game.table.guild, game.table.channel, game.table.player, "unlink", {}
    )
    assert "Unlinked 1 extension" in ((await inter.wait_response()).content or "")
    await eventually(lambda: _state_in(alice, "revoked"), "the extension to stop")
    shown = await alice.popup()
    assert "This browser was unlinked from FumbleBot" in shown
    assert "run /link in Discord" in shown
    assert (await alice.storage("config"))["token"] is None  # forgotten, never retried


async def _state_in(player: Player, state: str) -> bool:
    return (await player.status()).get("state") == state


async def test_markup_the_extension_cannot_read_is_reported_and_counted(game: Game) -> None:
    alice = await game.player("alice", game.table.player, gm=True)
    game.log.add({"kind": "newfangled", "who": "Roll20", "playerid": "-Psystem", "text": "?"})
    game.log.add({"kind": "newfangled", "who": "Roll20", "playerid": "-Psystem", "text": "?"})
    key = ("fumblebot_bridge_parse_failures_total", "kind=unknown_message,platform=roll20")
    async with httpx2.AsyncClient(timeout=5) as http:
        samples = await eventually(
            lambda: _scraped(http, f"{game.bridge.url}/metrics", key), "the report to be counted"
        )
    assert samples[key] == 1  # reported once a minute per kind, not once per message
    assert await _count(alice, "?") == 2


async def _scraped(
    http: httpx2.AsyncClient, url: str, key: tuple[str, str]
) -> dict[tuple[str, str], float] | None:
    samples = await scrape(http, url)
    return samples if key in samples else None


async def test_when_the_lease_holder_leaves_another_player_types_discords_side(
    game: Game,
) -> None:
    alice = await game.player("alice", game.table.player, gm=True)
    await eventually(alice.holds, "alice's extension to hold the inject lease")
    bob = await game.player("bob")
    assert not await bob.holds()
    assert alice.roll20 is not None
    await alice.roll20.close()  # alice closes Roll20: her extension gives the lease up
    await eventually(bob.holds, "bob's extension to take the lease over")
    emu = game.table.emu
    await emu.post_message(game.table.channel, game.table.player, "Bob, you are up.")
    await eventually(lambda: _count(bob, "Bob, you are up."), "the line in bob's Roll20")
    await emu.post_message(game.table.channel, game.table.player, "Sentinel line.")
    await eventually(lambda: _count(bob, "Sentinel line."), "the sentinel in bob's Roll20")
    assert await _count(bob, "Bob, you are up.") == 1


async def test_a_stopped_service_worker_picks_up_where_it_was(game: Game) -> None:
    await game.relay_ready()
    alice = await game.player("alice", game.table.player, gm=True)
    await eventually(alice.holds, "alice's extension to hold the inject lease")
    emu, channel, gm = game.table.emu, game.table.channel, game.table.player
    await emu.post_message(channel, gm, "Before the nap.")
    await eventually(lambda: _count(alice, "Before the nap."), "the first line in Roll20")
    await alice.stop_worker()
    await emu.post_message(channel, gm, "During the nap.")
    await alice.say("/r 1d20+1")  # the content script's message wakes the worker
    await eventually(lambda: _count(alice, "During the nap."), "the missed line in Roll20")
    await eventually(lambda: len(game.webhook_posts()) == 1, "the roll to reach Discord")
    await alice.say("Sentinel line.")
    await eventually(lambda: "Sentinel line." in game.webhook_posts(), "the sentinel")
    assert len(game.webhook_posts()) == 2, game.webhook_posts()
    for line in ("Before the nap.", "During the nap."):
        assert await _count(alice, line) == 1


async def test_unlinking_from_the_options_page_revokes_the_token(game: Game) -> None:
    alice = await game.player("alice", game.table.player, gm=True)
    token = (await alice.storage("config"))["token"]
    page = await alice.context.new_page()
    await page.goto(alice.page_url("options.html"))
    # The page asks the worker who it is linked as: wait for the answer.
    await page.wait_for_selector("#linked:not([hidden])")
    assert "Linked as Alice" in await page.inner_text("#linked")
    await page.click("#unlink")
    await page.wait_for_selector("#linked[hidden]", state="attached")
    assert (await alice.status())["state"] == "unlinked"
    async with httpx2.AsyncClient(timeout=5) as http:
        me = await http.get(
            f"{game.bridge.url}/vtt/accounts/me", headers={"Authorization": f"Bearer {token}"}
        )
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "token_revoked"
