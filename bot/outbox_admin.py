"""`fumblebot outbox`: look into the outbox file, retry or drop its dead letters.

It works on the file a running service drains (SQLite in WAL mode lets both
in at once): a dead letter put back with `retry` joins the end of the queue,
and the service picks it up on its next look (within `idle_poll`, 30 s).
It imports only the outbox's store, so it starts fast and never touches Core.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from core_client.errors import CoreClientError
from core_client.outbox_store import DeadLetter, OutboxStore, QueueStatus

log = logging.getLogger(__name__)

USAGE_ERROR = 2


class Action(enum.StrEnum):
    """What `fumblebot outbox` does."""

    SHOW = "show"
    RETRY = "retry"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class Request:
    """One `fumblebot outbox` command, as parsed."""

    action: Action
    event_ids: tuple[str, ...] = ()
    every: bool = False  # --all
    confirmed: bool = False  # --yes


def main(path: Path, request: Request, out: TextIO | None = None) -> int:
    """Carry out one outbox command on the file at `path`; return the exit status."""
    out = out or sys.stdout  # read now, not at import: the caller may have replaced it
    if request.action is not Action.SHOW:
        problem = _refusal(request)
        if problem:
            print(f"fumblebot: {problem}", file=sys.stderr)
            return USAGE_ERROR
    if not path.is_file():  # never create an outbox just to say it is empty
        print(f"no outbox at {path}: nothing was ever queued", file=out)
        return 0 if request.action is Action.SHOW else USAGE_ERROR
    return asyncio.run(_run(path, request, out))


async def _run(path: Path, request: Request, out: TextIO) -> int:
    store = await OutboxStore.open(path)
    try:
        return await _carry_out(store, request, out)
    except CoreClientError as exc:
        print(f"fumblebot: {exc}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        await store.close()


def _refusal(request: Request) -> str | None:
    """Return why a retry or drop cannot go ahead as asked, if it cannot."""
    verb = request.action.value
    if request.every and request.event_ids:
        return f"outbox {verb}: give event ids or --all, not both"
    if not request.every and not request.event_ids:
        return f"outbox {verb}: name the dead letters by event id, or pass --all"
    if request.action is Action.DROP and request.every and not request.confirmed:
        return "outbox drop --all deletes every dead letter for good: add --yes to confirm"
    return None


async def _carry_out(store: OutboxStore, request: Request, out: TextIO) -> int:
    chosen = None if request.every else request.event_ids
    if request.action is Action.RETRY:
        ids = await store.requeue(chosen)
        print(f"requeued {len(ids)} dead letter(s): {' '.join(ids) or '-'}", file=out)
        print("a running service sends them within 30 s; else on its next start", file=out)
    elif request.action is Action.DROP:
        ids = await store.drop(chosen)
        print(f"dropped {len(ids)} dead letter(s): {' '.join(ids) or '-'}", file=out)
    else:
        _show(await store.status(), await store.dead_letters(), out)
    return 0


def _show(status: QueueStatus, dead: list[DeadLetter], out: TextIO) -> None:
    now = time.time()
    oldest = f", oldest queued {_age(now - status.oldest_at)} ago" if status.oldest_at else ""
    print(f"queue: {status.count} event(s){oldest}", file=out)
    if status.deferred:
        print(f"  held back on their own (Core fails on them): {status.deferred}", file=out)
    if status.failures and status.next_attempt_at is not None:
        wait = _age(max(0.0, status.next_attempt_at - now))
        print(f"  next attempt: in {wait}, after {status.failures} failed attempt(s)", file=out)
    if status.last_error:
        print(f"  last error: {status.last_error}", file=out)
    print(f"dead letters: {len(dead)}", file=out)
    for letter in dead:
        when = datetime.fromtimestamp(letter.failed_at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        kind = letter.type or "?"
        print(f"  {letter.event_id}  {kind}  {when}  {letter.reason}", file=out)


def _age(seconds: float) -> str:
    """Return a duration the way a person reads it: 2h 5m, 3m 12s, 40s."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
