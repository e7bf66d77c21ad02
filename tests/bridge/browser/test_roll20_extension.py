"""The Roll20 extension in a real Chromium: Roll20 (the fixture) <-> bridge <-> Discord, once.

Each test drives headless Chromium with the unpacked extension from the
package (`bridge/extension/`), linked through its options page with a code
from `/link` in the Discord emulator; the bot, Core and the bridge are real.
"""

from __future__ import annotations

from starlette.applications import Starlette

from tests.bridge.browser.conftest import Game, eventually
from tests.support.core import stored_rolls


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
