"""Streamed text to Discord messages: paced edits, and pages of at most 2,000 characters.

Discord refuses a message over 2,000 characters and rate-limits edits (about
five per five seconds per channel), so `StreamPacer` releases at most one
render per `interval` (1 s by default) while text streams in, and
`split_message` cuts text into pages on paragraph, line, sentence or word
boundaries. A page cut inside a code fence is closed with ``` and the next
page reopens the fence with the same language, so code renders on both pages.
Everything here is pure; the clock is injectable.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DISCORD_LIMIT = 2000
FENCE = "```"
CLOSE = "\n```"
SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s")

Clock = Callable[[], float]


def open_fence(text: str) -> str | None:
    """Return the opening line (e.g. "```py") of a fence left open at the end of `text`."""
    opener: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(FENCE):
            opener = None if opener is not None else stripped
    return opener


def _last_sentence_end(window: str) -> int:
    ends = [match.end() for match in SENTENCE_END.finditer(window)]
    return ends[-1] if ends else -1


def best_cut(text: str, budget: int, floor: int) -> int:
    """Return where to cut `text` so the first part is at most `budget` characters.

    Prefers, in order, a paragraph break, a line break, a sentence end and a
    space in the second half of the window; otherwise cuts hard at `budget`.
    `floor` is the least cut that still moves forward.
    """
    window = text[:budget]
    half = max(floor + 1, budget // 2)
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator)
        if index >= half:
            return index
    index = _last_sentence_end(window)
    if index >= half:
        return index
    index = window.rfind(" ")
    if index > floor:
        return index
    return max(budget, floor + 1)


def _keep_fence_whole(text: str, cut: int, floor: int) -> int:
    """Move a cut back above a fence opened late on the page, so the block starts whole."""
    page = text[:cut].rstrip()
    if open_fence(page) is None:
        return cut
    start = page.rfind("\n```")
    if start > floor and start >= cut // 2:
        return start
    return cut


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """Split text into pages of at most `limit` characters, keeping code fences whole."""
    if limit <= 2 * len(CLOSE) + 16:
        raise ValueError(f"limit must be over {2 * len(CLOSE) + 16}")
    pages: list[str] = []
    rest = text.strip()
    carry = ""  # the fence opener the next page must start with
    while rest:
        candidate = carry + rest
        if len(candidate) <= limit:
            pages.append(candidate)
            break
        # Room for a closing fence, and for a reopened fence that is very long.
        budget = limit - len(CLOSE)
        cut = _keep_fence_whole(candidate, best_cut(candidate, budget, len(carry)), len(carry))
        page = candidate[:cut].rstrip()
        fence = open_fence(page)
        if fence is not None:
            page += CLOSE
        pages.append(page)
        rest = candidate[cut:].lstrip("\n") if fence else candidate[cut:].lstrip()
        carry = f"{fence[: limit // 4]}\n" if fence else ""
    return pages


@dataclass(frozen=True, slots=True)
class Render:
    """What the Discord messages should show now: one entry per message."""

    pages: tuple[str, ...]
    final: bool


def changed_pages(shown: Sequence[str], pages: Sequence[str]) -> list[int]:
    """Return the indexes of pages to edit or send, given what is already shown."""
    return [i for i, page in enumerate(pages) if i >= len(shown) or shown[i] != page]


class StreamPacer:
    """Accumulate text deltas; release a render at most once per `interval` seconds."""

    def __init__(
        self,
        *,
        interval: float = 1.0,
        limit: int = DISCORD_LIMIT,
        clock: Clock = time.monotonic,
    ) -> None:
        self._interval = interval
        self._limit = limit
        self._clock = clock
        self._parts: list[str] = []
        self._last: float | None = None
        self._dirty = False

    @property
    def text(self) -> str:
        """Return all the text received so far."""
        return "".join(self._parts)

    def feed(self, delta: str) -> Render | None:
        """Add a delta; return a render if one is due, else None."""
        if delta:
            self._parts.append(delta)
            self._dirty = True
        return self.poll()

    def poll(self) -> Render | None:
        """Return a render if new text waits and the interval has passed."""
        now = self._clock()
        due = self._last is None or now - self._last >= self._interval
        if not (self._dirty and due and self.text.strip()):
            return None
        self._last = now
        self._dirty = False
        return Render(tuple(split_message(self.text, self._limit)), final=False)

    def finish(self, empty: str = "(no answer)") -> Render:
        """Return the final render, whatever the pace (`empty` if no text came)."""
        pages = split_message(self.text, self._limit) or [empty]
        return Render(tuple(pages), final=True)
