"""The browser harness itself: Debian's Chromium launches headless and renders."""

from __future__ import annotations

from tests.support.browser import browser


async def test_chromium_renders_a_page() -> None:
    async with browser() as chromium:
        page = await chromium.new_page()
        await page.set_content("<p id='x'>rolled <b>20</b></p>")
        assert await page.inner_text("#x") == "rolled 20"
        shot = await page.screenshot()
        assert shot.startswith(b"\x89PNG")
