"""The stream overlay in Debian's Chromium, against the real `fumblebot run`, restarted mid-stream.

The GM makes the overlay link in Discord (the emulator), a player's Roll20
extension posts rolls, and the page, loaded as OBS would load it, must show
the public ones with their dice, animate the crit, mark the fumble and the
dropped die, never show the GM roll, come back by itself after the process
restarts, and say so when the GM revokes the link. The screenshot it takes
is the README's picture (written to docs/ with FUMBLEBOT_UPDATE_SCREENSHOT=1).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from tests.bot.test_restart import table as table  # the fixture
from tests.support.browser import browser
from tests.support.live_table import LiveTable, create_campaign, pair

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"
DOCS = Path(__file__).parents[2] / "docs"
WAIT_MS = 30_000  # for a 2-core box shared with the suite; not a timing
STAGE = "linear-gradient(135deg, #141826 0%, #23283b 55%, #2e2236 100%)"


def roll20(message_id: str, label: str, kept: int, dropped: int) -> dict[str, Any]:
    """Return Roll20's rollresult for `2d20kh1+5 <label>` with these dice."""
    results, total = [{"v": kept}, {"d": True, "v": dropped}], kept + 5
    payload = json.loads((FIXTURES / "roll20_rollresult.json").read_text())
    content = json.loads(payload["content"])
    content["rolls"][0]["results"] = results
    content["rolls"][2]["text"] = f" {label}"
    content["total"] = total
    return {
        **payload,
        "id": message_id,
        "origRoll": f"2d20kh1+5 {label}",
        "content": json.dumps(content),
    }


def gm_roll() -> dict[str, Any]:
    return json.loads((FIXTURES / "roll20_gmrollresult.json").read_text())


async def post(table: LiveTable, token: str, game_id: str, payload: dict[str, Any]) -> None:
    body = {"game_id": game_id, "format": "roll20.chat", "payload": copy.deepcopy(payload)}
    headers = {"Authorization": f"Bearer {token}"}
    answer = await table.http.post(f"{table.bridge_url}/vtt/rolls", json=body, headers=headers)
    assert answer.status_code == 202, answer.text


async def cards(page: Page, count: int) -> None:
    # Functions, not strings: the page's policy refuses eval, as it should.
    await page.wait_for_function(
        "(n) => document.querySelectorAll('.card').length >= n", arg=count, timeout=WAIT_MS
    )


async def state(page: Page, wanted: str) -> None:
    await page.wait_for_function(
        "(s) => document.body.dataset.state === s", arg=wanted, timeout=WAIT_MS
    )


async def overlay_link(table: LiveTable) -> tuple[str, str]:
    made = await (await table.slash("overlay create")).wait_response()
    assert made.ephemeral
    found = re.search(r"<(http://127\.0\.0\.1:\d+/overlay/fbo_[\w-]+)>", made.content or "")
    assert found is not None, made.content
    key_id = re.search(r"`(ovl_[0-9a-f]+)`", made.content or "")
    assert key_id is not None
    return found.group(1), key_id.group(1)


async def test_the_overlay_in_chromium_survives_a_restart_and_a_revocation(
    table: LiveTable, tmp_path: Path
) -> None:
    await create_campaign(table)
    url, key_id = await overlay_link(table)
    assert url.startswith(table.bridge_url)  # the bridge's own address: no public_url set
    token = await pair(table)
    me = await table.http.get(
        f"{table.bridge_url}/vtt/accounts/me", headers={"Authorization": f"Bearer {token}"}
    )
    [game_id] = me.json()["games"]
    async with browser() as chromium:
        page = await chromium.new_page(viewport={"width": 1920, "height": 1080})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{url}?hold=600")
        await state(page, "live")

        await post(table, token, game_id, gm_roll())  # private: must never show
        await post(table, token, game_id, roll20("-Ov1", "Attack", 18, 3))
        await post(table, token, game_id, roll20("-Ov2", "Longsword", 20, 4))
        await post(table, token, game_id, roll20("-Ov3", "Stealth", 1, 1))
        await cards(page, 3)
        dom = await page.evaluate(
            """() => [...document.querySelectorAll('.card')].map(c => ({
                classes: [...c.classList],
                who: c.querySelector('.who').textContent,
                label: c.querySelector('.label').textContent,
                total: c.querySelector('.total').textContent,
                dice: [...c.querySelectorAll('.die')].map(d => [d.textContent,
                       d.classList.contains('dropped'),
                       getComputedStyle(d).textDecorationLine]),
                animation: getComputedStyle(c).animationName,
                verdict: c.querySelector('.verdict')?.textContent ?? null,
            }))"""
        )
        assert [c["total"] for c in dom] == ["23", "25", "6"]  # the GM's 15 is not there
        attack, crit, fumble = dom
        assert attack["who"] == "Alice the Bold"
        assert attack["label"] == "Attack"
        assert attack["dice"] == [["18", False, "none"], ["3", True, "line-through"]]
        assert "crit" in crit["classes"]
        assert "crit-glow" in crit["animation"]
        assert crit["verdict"] == "Critical!"
        assert "fumble" in fumble["classes"]
        assert fumble["verdict"] == "Fumble"
        assert not {"crit", "fumble"} & set(attack["classes"])
        assert await page.evaluate(
            "() => document.documentElement.scrollHeight <= innerHeight"
            " && document.documentElement.scrollWidth <= innerWidth"
        )
        await screenshot(page, tmp_path)

        await table.restart()
        await state(page, "live")  # reconnected by itself
        await post(table, token, game_id, roll20("-Ov4", "Perception", 11, 2))
        await cards(page, 4)
        totals = await page.eval_on_selector_all(".card .total", "ts => ts.map(t => t.textContent)")
        assert totals == ["23", "25", "6", "16"]  # once each, after the resume too

        gone = await (await table.slash("overlay revoke", {"key_id": key_id})).wait_response()
        assert "is off" in (gone.content or "")
        await state(page, "revoked")
        notice = await page.inner_text("#notice")
        assert "revoked" in notice
        assert errors == []


async def screenshot(page: Page, tmp_path: Path) -> None:
    """Shoot the page at 1920x1080 over a dark stage, as it shows over a stream."""
    # Through the CSSOM: the page's policy refuses injected <style> elements.
    await page.evaluate("(s) => { document.documentElement.style.background = s; }", STAGE)
    await page.wait_for_timeout(1500)  # let the cards' entrance settle for the picture
    shot = tmp_path / "overlay.png"
    await page.screenshot(path=str(shot))
    await page.evaluate("() => { document.documentElement.style.background = ''; }")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1920, 1080)
    if os.environ.get("FUMBLEBOT_UPDATE_SCREENSHOT") == "1":
        shutil.copy(shot, DOCS / "overlay.png")
