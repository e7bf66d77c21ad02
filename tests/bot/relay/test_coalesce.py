from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.relay.coalesce import CONTENT_LIMIT, Line, Post, coalesce, speaker_name
from bot.relay.poster import ChannelPoster, PermanentSendError


def test_consecutive_lines_of_one_speaker_share_a_post() -> None:
    posts = coalesce([Line("Alice", "hi"), Line("Alice", "there"), Line("Bob", "yo")])
    assert [(p.username, p.content) for p in posts] == [("Alice", "hi\nthere"), ("Bob", "yo")]


def test_a_long_line_is_split_within_the_limit_at_spaces() -> None:
    text = " ".join(["word"] * 1000)
    posts = coalesce([Line("Alice", text)])
    assert all(len(p.content) <= CONTENT_LIMIT for p in posts)
    assert " ".join(" ".join(p.lines) for p in posts) == text


@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.text(max_size=3000)), max_size=30))
def test_nothing_is_lost_or_reordered_and_every_post_fits(lines: list[tuple[str, str]]) -> None:
    posts = coalesce([Line(s, t) for s, t in lines])
    assert all(len(p.content) <= CONTENT_LIMIT for p in posts)
    assert sum(len(p.lines) for p in posts) >= len(lines)
    rebuilt = "".join("".join(p.lines) for p in posts).replace(" ", "").replace("\u200b", "")
    assert rebuilt == "".join(t for _, t in lines).replace(" ", "")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("  Sir   Gawain ", "Sir Gawain"),
        ("", "Someone"),
        ("Discord Dan", "D\u200biscord Dan"),
        ("x" * 100, "x" * 80),
    ],
)
def test_speaker_names_are_made_acceptable_to_discord(name: str, expected: str) -> None:
    assert speaker_name(name) == expected


async def test_poster_coalesces_a_burst_and_retries_failures() -> None:
    sent: list[Post] = []
    failures = [RuntimeError("503")]

    async def send(post: Post) -> None:
        if failures:
            raise failures.pop()
        sent.append(post)

    poster = ChannelPoster(send, window=0.05, retry_delay=0.01)
    for i in range(20):
        poster.put(Line("Alice", f"line {i}"))
    assert await poster.drained(5)
    assert len(sent) == 1
    assert sent[0].lines == [f"line {i}" for i in range(20)]
    await poster.aclose()


async def test_poster_skips_a_permanently_refused_post_and_goes_on() -> None:
    sent: list[str] = []

    async def send(post: Post) -> None:
        if post.username == "Ghost":
            raise PermanentSendError("403")
        sent.append(post.content)

    poster = ChannelPoster(send, window=0.01)
    poster.put(Line("Ghost", "boo"))
    poster.put(Line("Alice", "hi"))
    assert await poster.drained(5)
    assert sent == ["hi"]
    await asyncio.sleep(0)
    await poster.aclose()
