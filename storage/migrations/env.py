"""Alembic environment: runs on the connection Core hands it at start-up.

Core applies migrations itself (see `storage.db.upgrade`), so this file only
supports the online mode with a connection in `config.attributes`; the
`alembic` command line reaches the same path through `storage.db`.
"""

from __future__ import annotations

from alembic import context

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.db.upgrade(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
