"""Keep/drop on rolled things: dice of a term, or items and dice of a group."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Protocol

from .nodes import Keep

value_of = attrgetter("value")


class Keepable(Protocol):
    """Anything keep/drop can act on: dice and group items."""

    kept: bool

    @property
    def value(self) -> int | float:
        """Return the number compared by keep/drop."""


def apply_keeps(items: Sequence[Keepable], keeps: tuple[Keep, ...]) -> None:
    """Apply keep/drop in order to the items still kept (ties keep the earliest)."""
    for keep in keeps:
        live = [item for item in items if item.kept]
        # Dropping the lowest k is keeping the highest n-k: one stable sort, keep a prefix.
        highest = keep.kind in ("kh", "dl")
        live.sort(key=value_of, reverse=highest)
        keeping = keep.count if keep.kind in ("kh", "kl") else max(len(live) - keep.count, 0)
        for item in live[keeping:]:
            item.kept = False
