"""Discord pacing and splitting: edits at most once a second, pages of at most 2,000 chars."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ai.streaming import (
    DISCORD_LIMIT,
    StreamPacer,
    changed_pages,
    open_fence,
    split_message,
)
from tests.bot.ai.conftest import FakeClock


def words(text: str) -> list[str]:
    """Return the text's non-fence words, to compare content across a split."""
    return [w for w in text.split() if not w.startswith("```")]


def test_a_short_text_is_one_page() -> None:
    assert split_message("  Hello there.  ") == ["Hello there."]
    assert split_message("") == []


def test_a_long_text_splits_on_paragraphs() -> None:
    paragraph = ("word " * 150).strip() + "."
    text = "\n\n".join([paragraph] * 4)
    pages = split_message(text)
    assert all(len(page) <= DISCORD_LIMIT for page in pages)
    assert len(pages) == 2
    assert pages[0] == "\n\n".join([paragraph] * 2)
    assert words("\n".join(pages)) == words(text)


def test_without_paragraphs_it_splits_after_a_sentence() -> None:
    sentence = "The party walks on. " * 150
    pages = split_message(sentence, limit=500)
    assert all(page.endswith("on.") for page in pages)
    assert all(len(page) <= 500 for page in pages)


def test_without_spaces_it_cuts_hard() -> None:
    pages = split_message("x" * 4500)
    assert [len(page) for page in pages] == [1996, 1996, 508]


def test_a_code_fence_cut_in_two_is_closed_and_reopened() -> None:
    code = "\n".join(f"print({n})" for n in range(400))
    text = f"Here is the code:\n\n```python\n{code}\n```\nThat is all."
    pages = split_message(text)
    assert len(pages) >= 2
    assert pages[0].endswith("\n```")
    assert pages[1].startswith("```python\n")
    for page in pages:
        assert len(page) <= DISCORD_LIMIT
        assert open_fence(page) is None
        code_lines = [line for line in page.split("\n") if line.startswith("print")]
        assert all(re.fullmatch(r"print\(\d+\)", line) for line in code_lines)
    assert words("\n".join(pages)) == words(text)


def test_a_fence_opening_at_a_page_end_moves_to_the_next_page() -> None:
    text = "a" * 1900 + "\n```py\n" + "x = 1\n" * 50 + "```"
    pages = split_message(text)
    assert pages[0] == "a" * 1900
    assert pages[1].startswith("```py\nx = 1")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab .!?\n`", "word ", "```", "```py\n", "\n\n"]), max_size=1500).map(
        "".join
    ),
    st.integers(min_value=60, max_value=2000),
)
def test_split_invariants(text: str, limit: int) -> None:
    pages = split_message(text, limit)
    assert all(0 < len(page) <= limit for page in pages)
    joined = "".join(pages)
    # Nothing but whitespace and fence markers is added or lost.
    assert re.sub(r"[\s`]|py", "", joined) == re.sub(r"[\s`]|py", "", text)


def test_the_pacer_edits_at_most_once_per_interval() -> None:
    clock = FakeClock(0)
    pacer = StreamPacer(interval=1.0, clock=clock)
    first = pacer.feed("Mira ")
    assert first is not None
    assert first.pages == ("Mira",)
    assert pacer.feed("is ") is None
    clock.advance(0.5)
    assert pacer.feed("the ") is None
    clock.advance(0.5)
    render = pacer.feed("bard.")
    assert render is not None
    assert render.pages == ("Mira is the bard.",)
    assert not render.final
    clock.advance(5)
    assert pacer.poll() is None  # nothing new since the last edit
    final = pacer.finish()
    assert final.pages == ("Mira is the bard.",)
    assert final.final


def test_the_pacer_does_not_render_whitespace_only() -> None:
    pacer = StreamPacer(clock=FakeClock(0))
    assert pacer.feed("\n") is None
    assert pacer.finish().pages == ("(no answer)",)


def test_the_pacer_pages_a_long_answer_and_only_changed_pages_need_edits() -> None:
    clock = FakeClock(0)
    pacer = StreamPacer(clock=clock)
    shown: tuple[str, ...] = ()
    for _ in range(100):
        render = pacer.feed("All work and no play makes a dull bard. ")
        clock.advance(0.3)
        if render is not None:
            assert len(changed_pages(shown, render.pages)) <= 2
            shown = render.pages
    final = pacer.finish()
    assert len(final.pages) == 3
    assert changed_pages(shown, final.pages) != []
    assert changed_pages(final.pages, final.pages) == []
