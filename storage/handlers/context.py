"""What every ingest handler works with: the session, the resolver, the cipher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract import Event, Payload
from storage.crypto import CredentialCipher
from storage.resolve import Resolver

Item = tuple[Event, Payload]


@dataclass
class Ingest:
    """One delivery's unit of work."""

    session: AsyncSession
    cipher: CredentialCipher | None = None
    resolver: Resolver = field(init=False)

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.session)


Handler = Callable[[Ingest, Sequence[Item]], Awaitable[None]]


def moment(event: Event, at: float | None = None) -> datetime:
    """Return when something happened: `at` if the sender said, else the event time."""
    return datetime.fromtimestamp(event.occurred_at if at is None else at, UTC)


def insert_ignoring(session: AsyncSession, table: Any, keys: list[str]) -> Insert:
    """Return an INSERT that skips rows whose `keys` already exist."""
    dialect = session.get_bind().dialect.name
    assert isinstance(table, Table)
    # Each dialect's module is imported by the engine that uses it; imported
    # here at the top, PostgreSQL's would load (about 1.5 MiB) into every SQLite Core.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(f"Core does not support the {dialect} database")
