"""`fumblebot migrate`: bring Core's database to a revision, or say where it stands.

The same code Core runs at start-up (`storage.db`), so it takes the same
migration lock: running it beside a starting replica is safe. The database
is the one the configuration names (`core.database_url`, else the SQLite
file in `paths.data_dir`).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
from typing import TextIO

from bot.errors import FumbleBotError
from storage import db
from storage.errors import MigrationError

log = logging.getLogger(__name__)


class Action(enum.StrEnum):
    """What `fumblebot migrate` does."""

    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    CURRENT = "current"
    HISTORY = "history"


def main(url: str, action: Action, revision: str | None, out: TextIO | None = None) -> int:
    """Carry out one migrate command on the database at `url`; return the exit status."""
    out = out or sys.stdout  # read now, not at import: the caller may have replaced it
    if action is Action.HISTORY:
        for rev, parent, summary in db.history():
            out.write(f"{parent or '<base>'} -> {rev}: {summary}\n")
        return 0
    if action is Action.DOWNGRADE and not revision:
        raise FumbleBotError("migrate downgrade needs the revision to go down to, e.g. 0001")
    try:
        current = asyncio.run(_run(url, action, revision or "head"))
    except MigrationError as exc:
        raise FumbleBotError(str(exc)) from exc
    head = db.head_revision()
    where = "head" if current == head else f"head is {head}"
    out.write(f"database at revision {current or '<base>'} ({where})\n")
    return 0


async def _run(url: str, action: Action, revision: str) -> str | None:
    engine = db.create_engine(url)
    try:
        if action is Action.UPGRADE:
            await db.upgrade(engine, revision)
        elif action is Action.DOWNGRADE:
            await db.downgrade(engine, revision)
        return await db.current_revision(engine)
    finally:
        await engine.dispose()
