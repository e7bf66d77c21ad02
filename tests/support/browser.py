"""Debian's Chromium driven by Playwright, headless, for the browser tests.

The README's test command installs Chromium where it can (a fresh Debian
machine, as root). Elsewhere a browser test skips saying why; under CI=true
it fails instead, like every other missing service (`tests.support.services`).
Playwright brings its own driver, so no `playwright install` is needed: we
pass Debian's binary as `executable_path` (see ../shared/field-notes.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.async_api import async_playwright

from tests.support.services import unavailable

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def chromium_executable() -> str:
    """Return the Chromium binary to drive, or skip (fail under CI) saying why."""
    wanted = os.environ.get("FUMBLEBOT_TEST_CHROMIUM")
    for name in (wanted, *CANDIDATES) if wanted else CANDIDATES:
        path = shutil.which(name) if name else None
        if path:
            return path
    unavailable(
        "Chromium (install it with `apt-get install -y chromium`)",
        FileNotFoundError("no chromium binary on PATH"),
    )
    raise AssertionError("unreachable")  # unavailable() always raises


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    """Launch headless Chromium for pages (the overlay, fixtures)."""
    executable = chromium_executable()
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@asynccontextmanager
async def extension_context(extension: Path, profile: Path) -> AsyncIterator[BrowserContext]:
    """Launch headless Chromium with one unpacked MV3 extension loaded.

    Playwright adds `--disable-extensions`; without `--disable-extensions-except`
    the extension is silently not loaded.
    """
    executable = chromium_executable()
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=[
                f"--disable-extensions-except={extension}",
                f"--load-extension={extension}",
            ],
        )
        try:
            yield context
        finally:
            await context.close()
