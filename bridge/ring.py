"""A game's recent events, each encoded once as an SSE frame, in one bounded ring.

The fan-out (`bridge.fanout`) writes a new frame to every ready stream in one
pass; a stream that could not take it (its transport paused by flow control)
keeps only a cursor, the hub-wide sequence number of the last entry it
handled, and later reads what it missed from here. Once the ring has
dropped an entry past a cursor, that stream cannot catch up from memory and
is dropped; its client resumes from the bus history with `Last-Event-ID`.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.bus import BusEvent


@dataclass(frozen=True, slots=True)
class Entry:
    """One event as every stream sends it."""

    seq: int  # hub-wide order of arrival, so entries of several rings merge in order
    event: BusEvent
    frame: bytes


def _seq(entry: Entry) -> int:
    return entry.seq


class Ring:
    """At most `size` recent entries of one topic, oldest first."""

    def __init__(self, size: int) -> None:
        self._entries: deque[Entry] = deque()
        self._size = size
        self.lost_upto = 0  # seq of the newest entry dropped

    def append(self, entry: Entry) -> None:
        """Keep an entry, dropping the oldest beyond the size."""
        if len(self._entries) >= self._size:
            self.lost_upto = self._entries.popleft().seq
        self._entries.append(entry)

    def after(self, cursor: int, limit: int) -> list[Entry] | None:
        """Return up to `limit` entries newer than `cursor`; None if one was dropped."""
        if self.lost_upto > cursor:
            return None
        entries = self._entries
        if not entries or entries[-1].seq <= cursor:
            return []
        start = bisect.bisect_right(entries, cursor, key=_seq)
        return [entries[i] for i in range(start, min(len(entries), start + limit))]

    def __len__(self) -> int:
        return len(self._entries)


def merged_after(rings: Iterable[Ring], cursor: int, limit: int) -> list[Entry] | None:
    """Return up to `limit` entries of several rings newer than `cursor`, in seq order.

    None if any ring dropped one of them: the reader is past the window.
    """
    pages: list[list[Entry]] = []
    for ring in rings:
        page = ring.after(cursor, limit)
        if page is None:
            return None
        if page:
            pages.append(page)
    if len(pages) == 1:
        return pages[0]
    return list(heapq.merge(*pages, key=_seq))[:limit]
