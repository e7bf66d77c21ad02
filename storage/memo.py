"""What ingest resolved, kept per process across deliveries while the resolve epoch holds.

A batch of rolls used to ask the database for its campaigns, users, open
sessions and crit rules every time, though these change rarely: about half
of Core's CPU per delivery on PostgreSQL (docs/benchmarks.md, "Per server
CPU-second"). Now each lookup's answers are kept per engine, tagged with the
resolve epoch (`storage.models.epoch`) read at the start of the
transaction's first lookup, and reused while the epoch is unchanged: one
one-row read instead of four queries.

Why that is never a wrong answer, with several Core processes too: every
writer of those rows bumps the epoch in its own transaction
(`storage.changes.lock`), so any reader that could see a change also sees
the new epoch, and drops what it kept. The epoch is read before the rows it
vouches for, so a change committed in between makes the kept rows newer
than their tag, never older (the next transaction reloads them). A
transaction that has bumped the epoch itself sees its own uncommitted rows,
which may yet roll back: it neither uses nor fills the memo.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_BUMPED = "resolve_epoch_bumped"  # session.info: the transaction that bumped the epoch


@dataclass
class _Kept:
    """One engine's answers, all valid at `epoch`."""

    epoch: int | None = None
    answers: dict[str, dict[Any, Any]] = field(default_factory=dict)


_KEPT: weakref.WeakKeyDictionary[Engine, _Kept] = weakref.WeakKeyDictionary()


def _kept(session: AsyncSession) -> _Kept:
    bind = session.sync_session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    kept = _KEPT.get(engine)
    if kept is None:
        kept = _KEPT[engine] = _Kept()
    return kept


def bumped(session: AsyncSession) -> bool:
    """Return True if the session's transaction has bumped the epoch."""
    current = session.sync_session.get_transaction()
    return current is not None and session.info.get(_BUMPED) is current


async def bump(session: AsyncSession) -> None:
    """Move the epoch on, once per transaction: rows ingest resolves are changing."""
    if bumped(session):
        return
    conn = await bulk.connection(session)
    await bulk.execute(conn, "UPDATE resolve_epoch SET n = n + 1 WHERE id = 1")
    session.info[_BUMPED] = session.sync_session.get_transaction()


class Memo:
    """One transaction's view of the kept answers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._answers: dict[str, dict[Any, Any]] | None = None

    async def _valid(self) -> dict[str, dict[Any, Any]] | None:
        """Return the answers kept at this transaction's epoch, None if it may not use them."""
        if bumped(self.session):
            return None
        if self._answers is None:
            conn = await bulk.connection(self.session)
            [(epoch,)] = await bulk.execute(conn, "SELECT n FROM resolve_epoch WHERE id = 1")
            kept = _kept(self.session)
            if kept.epoch != epoch:  # a new dict: a transaction at the old epoch keeps its own
                kept.epoch, kept.answers = epoch, {}
            self._answers = kept.answers
        return self._answers

    async def lookup(
        self,
        kind: str,
        keys: Iterable[K],
        fetch: Callable[[set[K]], Awaitable[Mapping[K, V]]],
    ) -> dict[K, V | None]:
        """Return each key's answer (None: none), asking `fetch` only for keys not kept."""
        wanted = set(keys)
        if not wanted:
            return {}
        answers = await self._valid()
        kept: dict[K, V | None] = {} if answers is None else answers.setdefault(kind, {})
        missing = wanted - kept.keys()
        if missing:
            found = await fetch(missing)
            if answers is None or bumped(self.session):
                rest = wanted - missing  # kept before this transaction wrote: ask again
                found = {**found, **await fetch(rest)} if rest else found
                return {k: found.get(k) for k in wanted}
            kept.update({k: found.get(k) for k in missing})
        return {k: kept[k] for k in wanted}
