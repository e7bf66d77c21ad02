from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.relay.coalesce import CONTENT_LIMIT, Line, coalesce, speaker_name


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


@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.text(max_size=3000)), max_size=30))
def test_each_post_counts_the_lines_it_finishes(lines: list[tuple[str, str]]) -> None:
    # The poster forgets a line once the post with its `done` count is sent.
    posts = coalesce([Line(s, t) for s, t in lines])
    counts = [p.done for p in posts]
    assert counts == sorted(counts)
    assert counts[-1:] == ([len(lines)] if lines else [])


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
