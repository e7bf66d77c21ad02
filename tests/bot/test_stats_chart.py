"""The stats chart: a real PNG, decoded with Pillow, with bars, axes and labels drawn."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.stats_chart import BACKGROUND, BAR, MEAN, render_chart
from core_client.dice import distribution


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}


def test_chart_is_a_png_of_the_asked_size_with_bars_and_text() -> None:
    image = decoded(render_chart(distribution("4d6kh3"), width=320, height=180))
    assert image.size == (320, 180)
    assert image.mode == "RGB"
    found = colours(image)
    assert {BACKGROUND, BAR, MEAN} <= found
    # Anti-aliased text (title, percent and total labels) brings many grey shades.
    assert len(found) > 20


def bar_heights(image: Image.Image) -> list[int]:
    """Return the height in pixels of each bar, left to right."""
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    bars: list[list[int]] = []
    previous = 0
    for x in range(width):
        column = [pixels[x, y] for y in range(height)]
        if MEAN in column:
            continue  # the mean line crosses a bar without splitting it
        count = column.count(BAR)
        if count and not previous:
            bars.append([])
        if count:
            bars[-1].append(count)
        previous = count
    return [max(bar) for bar in bars]


def test_bar_heights_follow_the_probabilities() -> None:
    # 2d6: eleven bars, rising 1:2:...:6 to the 7 then falling again.
    heights = bar_heights(decoded(render_chart(distribution("2d6"), width=400, height=240)))
    assert len(heights) == 11
    unit = heights[0]
    assert unit > 5
    for ways, measured in zip([1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1], heights, strict=True):
        assert measured == pytest.approx(ways * unit, abs=ways + 1)


def test_wide_distributions_are_binned() -> None:
    image = decoded(render_chart(distribution("60d20"), width=200, height=160))
    assert image.size == (200, 160)
    assert BAR in colours(image)


def test_chart_size_is_checked() -> None:
    with pytest.raises(ValueError, match="between"):
        render_chart(distribution("1d6"), width=10)
