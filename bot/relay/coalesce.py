"""Coalesce bursts of relayed lines into as few Discord messages as fit.

A VTT can emit dozens of chat lines and rolls in a second; Discord allows
about five messages per five seconds per channel and 50 requests a second per
bot. Consecutive lines from the same speaker are merged into one message of
at most 2,000 characters, in order, so a burst costs a few requests and
nothing is dropped or reordered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

CONTENT_LIMIT = 2000
USERNAME_LIMIT = 80  # Discord's limit on a webhook message's username


@dataclass(frozen=True, slots=True)
class Line:
    """One relayed line: who said it and what."""

    speaker: str
    text: str
    avatar_url: str | None = None


@dataclass(slots=True)
class Post:
    """One Discord message to send through the channel's webhook.

    `done` counts the input lines finished once this post is sent (a long
    line may span several posts), so the sender knows what it may forget.
    """

    username: str
    avatar_url: str | None
    lines: list[str] = field(default_factory=list)
    done: int = 0

    @property
    def content(self) -> str:
        """Return the message text."""
        return "\n".join(self.lines)

    def room(self) -> int:
        """Return how many characters still fit, counting the joining newline."""
        used = len(self.content) + (1 if self.lines else 0)
        return CONTENT_LIMIT - used


def speaker_name(name: str) -> str:
    """Return a webhook username Discord accepts for a speaker."""
    cleaned = " ".join(name.split()) or "Someone"
    # Discord refuses webhook names containing these words.
    for word in ("discord", "clyde"):
        cleaned = _break_word(cleaned, word)
    return cleaned[:USERNAME_LIMIT]


def _break_word(text: str, word: str) -> str:
    """Put a zero-width space after the first letter of every `word`, any case."""
    lower, out, i = text.lower(), [], 0
    while (j := lower.find(word, i)) != -1:
        out.append(text[i : j + 1] + "\u200b" + text[j + 1 : j + len(word)])
        i = j + len(word)
    out.append(text[i:])
    return "".join(out)


def coalesce(lines: Iterable[Line]) -> list[Post]:
    """Merge consecutive lines of one speaker into posts within Discord's limit."""
    posts: list[Post] = []
    for index, line in enumerate(lines):
        username = speaker_name(line.speaker)
        for chunk in _chunks(line.text or "\u200b"):
            last = posts[-1] if posts else None
            if (
                last is None
                or last.username != username
                or last.avatar_url != line.avatar_url
                or last.room() < len(chunk)
            ):
                last = Post(username, line.avatar_url, done=last.done if last else 0)
                posts.append(last)
            last.lines.append(chunk)
        posts[-1].done = index + 1
    return posts


def _chunks(text: str) -> list[str]:
    """Split one long line at whitespace where possible, never over the limit."""
    chunks = []
    while len(text) > CONTENT_LIMIT:
        cut = text.rfind(" ", 0, CONTENT_LIMIT)
        cut = cut if cut > CONTENT_LIMIT // 2 else CONTENT_LIMIT
        chunks.append(text[:cut])
        text = text[cut:].lstrip()
    chunks.append(text)
    return chunks
