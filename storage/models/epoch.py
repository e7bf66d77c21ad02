"""The resolve epoch: one counter that every write to what ingest resolves moves on.

Ingest keeps what it resolved (campaign keys, users, open sessions, crit
rules) per process across deliveries (`storage.memo`), valid while this
counter is unchanged. Writers bump it in the transaction that changes those
rows (`storage.changes.lock`), so a reader in any Core process sees a new
value exactly when it could see the change.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class ResolveEpoch(Base):
    """A single row (`id` 1) holding the epoch."""

    __tablename__ = "resolve_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
