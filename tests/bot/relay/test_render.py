"""A relayed VTT roll reads exactly like a native `/roll` of the same dice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from bot.relay.render import roll_text
from bridge.app import create_app
from bridge.pairing import create_pairing_code
from core_client import CoreClient, Outbox
from tests.bot.cogs.test_relay_and_ai import bound
from tests.bot.conftest import Table
from tests.bridge.conftest import SETTINGS
from tests.core_client.dice.scripted import ScriptedRng
from tests.support.servers import serve

FIXTURES = Path(__file__).parents[2] / "bridge" / "fixtures"
Post = Callable[..., Awaitable[str]]


def roll20(expression: str, total: int, *rolls: dict[str, Any]) -> dict[str, Any]:
    """Return a Roll20 `rollresult` chat message as an extension sends it."""
    content = {"type": "V", "rolls": list(rolls), "total": total}
    return {"id": "-N1", "who": "Vex", "type": "rollresult", "origRoll": expression,
            "content": json.dumps(content)}  # fmt: skip


def d(sides: int, *faces: int, dropped: tuple[int, ...] = (), **mods: Any) -> dict[str, Any]:
    results = [{"v": v, "d": True} if i in dropped else {"v": v} for i, v in enumerate(faces)]
    return {"type": "R", "dice": len(faces), "sides": sides, "mods": mods, "results": results}


def math(expr: str) -> dict[str, Any]:
    return {"type": "M", "expr": expr}


async def native(table: Table, expression: str, *faces: int) -> str:
    """Return the breakdown a native `/roll` shows for these dice."""
    table.bot.rng = ScriptedRng(*faces)  # type: ignore[assignment]
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": expression}
    )
    embed = (await inter.wait_response()).embed
    assert embed is not None
    return str(embed["description"])


@asynccontextmanager
async def vtt(table: Table, core_client: CoreClient, outbox: Outbox) -> AsyncIterator[Post]:
    """Serve the bridge on the bot's bus and store, and link a Roll20 extension to it."""
    campaign_id, game_id = await bound(table, core_client)
    app = create_app(SETTINGS, reporter=outbox, bus=table.bus, store=table.store)
    code = await create_pairing_code(
        table.store, "u1", campaign_id, [game_id], user_name="Vex", ttl=600.0
    )
    async with serve(app) as url, httpx2.AsyncClient(base_url=url, timeout=5) as http:
        link = {"code": code.code, "platform": "roll20", "player_id": "-M54"}
        token = (await http.post("/vtt/accounts/link", json=link)).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}

        async def post(fmt: str, payload: dict[str, Any], lines: int = 1) -> str:
            """Post a payload as the extension does; return the lines relayed to Discord."""
            body = {"game_id": game_id, "format": fmt, "payload": payload}
            sent = await http.post("/vtt/rolls", json=body, headers=auth)
            assert sent.status_code == 202, sent.text
            speaker = f"{payload['who']} (Roll20)"

            def relayed() -> str | None:
                posts = table.emu.channel_messages(table.channel)
                shown = [str(m.content) for m in posts if m.username == speaker]
                text = "\n".join(shown)
                return text if shown and text.count("\n") + 1 >= lines else None

            return await table.emu.state.wait_until(relayed, 5.0, f"{lines} line(s) relayed")

        yield post


async def test_a_roll_through_the_bridge_reads_like_the_same_native_roll(
    table: Table, core_client: CoreClient, outbox: Outbox
) -> None:
    payload = json.loads((FIXTURES / "roll20_rollresult.json").read_text())  # 2d20kh1+5 Attack
    async with vtt(table, core_client, outbox) as post:
        relayed = await post("roll20.chat", payload)
    expected = await native(table, "2d20kh1+5 Attack", 18, 3)
    assert expected == "2d20kh1 (18, ~~3~~) + 5 = `23`"
    assert relayed == f"🎲 **Attack**: {expected}"  # the flat +5 shown, the label apart


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (roll20("1d20+3", 14, d(20, 11), math("+3")), "🎲 **1d20 + 3**: 1d20 (11) + 3 = `14`"),
        (roll20("2d20kh1", 17, d(20, 17, 4, dropped=(1,), keep={"end": "top", "count": 1})),
         "🎲 **2d20kh1**: 2d20kh1 (17, ~~4~~) = `17`"),
        (roll20("1d20cs>18+2 Sneak", 21, d(20, 19), math("+2"), {"type": "C", "text": "Sneak"}),
         "🎲 **Sneak**: 1d20cs>18 (**19**) + 2 = `21` **Critical!**"),
        (roll20("1d20+4", 5, d(20, 1), math("+4")),
         "🎲 **1d20 + 4**: 1d20 (**1**) + 4 = `5` **Fumble!**"),
    ],
    ids=["flat-modifier", "keep-top", "crit-range-and-label", "fumble"],
)  # fmt: skip
async def test_relayed_rolls_show_modifiers_notation_labels_and_crit_ranges(
    table: Table, core_client: CoreClient, outbox: Outbox, message: dict[str, Any], expected: str
) -> None:
    async with vtt(table, core_client, outbox) as post:
        assert await post("roll20.chat", message) == expected


async def test_a_roll_template_names_the_relayed_rolls(
    table: Table, core_client: CoreClient, outbox: Outbox
) -> None:
    payload = json.loads((FIXTURES / "roll20_inline.json").read_text())
    async with vtt(table, core_client, outbox) as post:
        relayed = await post("roll20.inline", payload, lines=2)
    assert relayed == (
        "🎲 **Longsword (atk)**: 1d20 (**20**) + 5 = `25` **Critical!**\n"
        "🎲 **Longsword (atk)**: 1d8 (6) + 3\\[STR\\] = `9`"
    )


def test_a_roll_the_engine_cannot_replay_still_adds_up() -> None:
    # Foundry's `1d20 + @mod` cannot be re-read here: the VTT's groups and total are shown.
    record = {"formula": "1d20 + @mod", "total": 14,
              "groups": [{"notation": "1d20", "sides": 20, "subtotal": 11,
                          "dice": [{"sides": 20, "value": 11, "kept": True}]}]}  # fmt: skip
    assert roll_text(record) == "🎲 **1d20 + @mod**: 1d20 (11) + 3 = `14`"


def test_a_group_without_a_subtotal_counts_its_kept_dice() -> None:
    dice = [{"sides": 6, "value": 5, "kept": True}, {"sides": 6, "value": 2, "kept": False}]
    group = {"notation": "2d6kh1", "sides": 6, "dice": dice}
    record = {"formula": "2d6kh1 + @mod", "total": 7, "groups": [group]}
    assert roll_text(record) == "🎲 **2d6kh1 + @mod**: 2d6kh1 (5, ~~2~~) + 2 = `7`"
