"""`fumblebot keys create|list|revoke`: the API keys Core issues, from the command line.

Works on the configured database directly, as `migrate` and `export` do, so
an operator can issue the first key with no key at hand and no Core
running. A key is printed once, alone on stdout, so a script can capture it;
Core keeps only its digest. A running Core sees a revocation on the key's
next request: nothing to restart.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Sequence
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dbjob import run_job
from bot.errors import FumbleBotError
from core_client.contract import codec
from core_client.contract.answers import ApiKeyInfo
from core_client.contract.writes import NewApiKey
from core_client.errors import RecordError
from storage import apikeys

log = logging.getLogger(__name__)


def create(
    url: str, role: str, campaigns: Sequence[str], label: str | None, out: TextIO | None = None
) -> int:
    """Issue a key; print it (stdout) and what it may do (stderr)."""
    fields: dict[str, Any] = {"role": role, "campaigns": list(campaigns) or None, "label": label}
    try:
        new = codec.decode(fields, NewApiKey)
    except RecordError as exc:
        raise FumbleBotError(f"keys create: {exc}") from exc

    async def job(session: AsyncSession) -> Any:
        return apikeys.issued(await apikeys.issue(session, new.role, new.campaigns, new.label))

    made = run_job(url, job, "keys")
    print(made.key, file=out or sys.stdout)
    print(f"issued {_describe(made)}; this is the only time the key is shown", file=sys.stderr)
    return 0


def list_(url: str, out: TextIO | None = None) -> int:
    """Print every key Core issued, one a line, never the key itself."""

    async def job(session: AsyncSession) -> list[ApiKeyInfo]:
        return [apikeys.info(row) for row in await apikeys.listing(session)]

    rows = run_job(url, job, "keys")
    out = out or sys.stdout
    if not rows:
        print("no keys issued (keys from the environment are not listed)", file=out)
    for row in rows:
        used = f"last used {row.last_used_at}" if row.last_used_at else "never used"
        state = f"revoked {row.revoked_at}" if row.revoked_at else "live"
        print(f"{_describe(row)}  created {row.created_at}  {used}  {state}", file=out)
    return 0


def revoke(url: str, key_id: str, out: TextIO | None = None) -> int:
    """Revoke a key by its id; exit 2 if Core never issued it."""
    try:
        row_id = uuid.UUID(key_id)
    except ValueError:
        raise FumbleBotError(f"keys revoke: {key_id!r} is not a key id (see 'keys list')") from None

    async def job(session: AsyncSession) -> ApiKeyInfo | None:
        row = await apikeys.revoke(session, row_id)
        return None if row is None else apikeys.info(row)

    row = run_job(url, job, "keys")
    if row is None:
        raise FumbleBotError(f"keys revoke: Core issued no key {key_id}")
    print(f"revoked {row.id} ({row.revoked_at})", file=out or sys.stdout)
    return 0


def _describe(row: ApiKeyInfo) -> str:
    scope = "every campaign" if row.campaigns is None else "campaigns " + ",".join(row.campaigns)
    label = f" {row.label!r}" if row.label else ""
    return f"{row.id}  {row.role.value}  {scope}{label}"
