"""Alembic environment: runs on the connection Core hands it, or opens one for the CLI.

Core applies migrations itself (see `storage.db.upgrade`, which passes a
connection in `config.attributes`). The `alembic` command line
(`alembic -c storage/alembic.ini upgrade head`) has none: it opens the
database named by `-x url=...` or `FUMBLEBOT_CORE_DATABASE_URL` itself,
under the same migration lock (`storage.db.migration_lock`). `fumblebot migrate`
does the same with the URL from the FumbleBot configuration.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from storage.models import Base


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or os.environ.get("FUMBLEBOT_CORE_DATABASE_URL")
    if not url:
        raise SystemExit(
            "alembic: name the database with -x url=sqlite+aiosqlite:///data/core.sqlite3 or "
            "FUMBLEBOT_CORE_DATABASE_URL, or run 'fumblebot migrate', which reads config.toml"
        )
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_locked() -> None:
    from storage import db  # imported late: storage.db runs this file itself

    engine = db.create_engine(_url())
    try:
        async with db.migration_lock(engine) as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("alembic: offline (--sql) mode is not supported; migrate the database")
connection = context.config.attributes.get("connection")
if connection is None:
    asyncio.run(_run_locked())
else:
    _run(connection)
