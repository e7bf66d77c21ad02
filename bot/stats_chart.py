"""The `/roll … stats` chart: a distribution drawn as a bar chart PNG with Pillow.

Presentation for Discord, so it lives in the bot, not in the pure dice engine. One
bar per possible total (totals are binned when there are more than the plot has
pixels), a y-axis labelled in percent, totals along the x-axis, the mean marked,
and the expression as the title. Pillow's bundled font is used, so no system font
is needed. Drawing takes a few milliseconds: callers run it in a thread.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from core_client.dice import Distribution
from core_client.dice.nodes import format_number

Color = tuple[int, int, int]
BACKGROUND: Color = (43, 45, 49)  # Discord's dark theme
BAR: Color = (88, 101, 242)
GRID: Color = (64, 66, 73)
AXIS: Color = (181, 186, 193)
TEXT: Color = (219, 222, 225)
MEAN: Color = (237, 66, 69)

MIN_SIZE, MAX_SIZE = 160, 2048
_PAD = 12
_TICK = 4
_TITLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class _Plot:
    """The plot area in pixels, and the probability at its top edge."""

    left: int
    top: int
    right: int
    bottom: int
    peak: float

    def y(self, probability: float) -> int:
        return self.bottom - round((self.bottom - self.top) * probability / self.peak)


def render_chart(distribution: Distribution, *, width: int = 640, height: int = 360) -> bytes:
    """Draw `distribution` as a bar chart and return the PNG bytes."""
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        raise ValueError(f"chart size must be between {MIN_SIZE} and {MAX_SIZE} pixels")
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, height // 28))
    title_font = ImageFont.load_default(size=max(12, height // 22))
    title_bottom = _title(draw, distribution.expression, width, title_font)
    # Room for the widest y label the scale can produce, so the plot is laid out once.
    label_width = math.ceil(draw.textlength("00.00%", font=font))
    label_height = math.ceil(font.getbbox("0123456789%")[3])
    left = _PAD + label_width + _TICK + 4
    right = width - _PAD
    bins = _bins(distribution, right - left)
    step, top_value = _y_scale(max(p for _, _, p in bins))
    bottom = height - _PAD - label_height - _TICK - 2
    plot = _Plot(left, title_bottom + _PAD, right, bottom, top_value)
    _y_axis(draw, plot, step, font)
    _bars(draw, plot, bins)
    _x_axis(draw, plot, bins, font)
    _mean(draw, plot, bins, distribution.mean)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _title(draw: ImageDraw.ImageDraw, expression: str, width: int, font: _Font) -> int:
    """Write the title, shortened to fit; return the y just below it."""
    text = f"Odds of {expression}"
    if len(text) > _TITLE_CHARS:
        text = text[: _TITLE_CHARS - 1] + "…"
    while len(text) > 8 and draw.textlength(text, font=font) > width - 2 * _PAD:
        text = text[:-2] + "…"
    draw.text((_PAD, _PAD), text, fill=TEXT, font=font)
    return int(draw.textbbox((_PAD, _PAD), text, font=font)[3])


def _y_scale(peak: float) -> tuple[float, float]:
    """Return a round tick step and the axis top (a whole number of steps) above `peak`."""
    peak = max(peak, 1e-9)
    raw = peak / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step, step * math.ceil(peak / step - 1e-9)


def _percent(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step * 100))) if step < 0.01 else 0
    return f"{value * 100:.{decimals}f}%"


def _y_axis(draw: ImageDraw.ImageDraw, plot: _Plot, step: float, font: _Font) -> None:
    ticks = round(plot.peak / step)
    for index in range(ticks + 1):
        value = index * step
        y = plot.y(value)
        if index:
            draw.line([(plot.left, y), (plot.right, y)], fill=GRID)
        draw.line([(plot.left - _TICK, y), (plot.left, y)], fill=AXIS)
        draw.text(
            (plot.left - _TICK - 2, y), _percent(value, step), fill=AXIS, font=font, anchor="rm"
        )
    draw.line([(plot.left, plot.top), (plot.left, plot.bottom)], fill=AXIS)


Bin = tuple[float, float, float]  # lowest total, highest total, probability


def _bins(distribution: Distribution, slots: int) -> list[Bin]:
    """Group outcomes into at most `slots` bins of (lowest, highest, probability)."""
    outcomes = distribution.outcomes
    per_bin = max(1, -(-len(outcomes) // max(1, slots)))
    bins = []
    for start in range(0, len(outcomes), per_bin):
        chunk = outcomes[start : start + per_bin]
        bins.append((chunk[0][0], chunk[-1][0], math.fsum(p for _, p in chunk)))
    return bins


def _bar_x(plot: _Plot, index: int, count: int) -> tuple[int, int]:
    width = (plot.right - plot.left) / count
    x0 = plot.left + 1 + round(index * width)
    x1 = plot.left + round((index + 1) * width) - (1 if width >= 4 else 0)
    return x0, max(x0, x1)


def _bars(draw: ImageDraw.ImageDraw, plot: _Plot, bins: list[Bin]) -> None:
    for index, (_, _, p) in enumerate(bins):
        x0, x1 = _bar_x(plot, index, len(bins))
        y = plot.y(p)
        if y < plot.bottom:
            draw.rectangle([(x0, y), (x1, plot.bottom - 1)], fill=BAR)


def _x_axis(draw: ImageDraw.ImageDraw, plot: _Plot, bins: list[Bin], font: _Font) -> None:
    draw.line([(plot.left, plot.bottom), (plot.right, plot.bottom)], fill=AXIS)
    label_room = draw.textlength(format_number(bins[-1][1]), font=font) + 12
    slot = (plot.right - plot.left) / len(bins)
    every = max(1, math.ceil(label_room / slot))
    for index in range(0, len(bins), every):
        x0, x1 = _bar_x(plot, index, len(bins))
        x = (x0 + x1) // 2
        draw.line([(x, plot.bottom), (x, plot.bottom + _TICK)], fill=AXIS)
        text = format_number(bins[index][0])
        draw.text((x, plot.bottom + _TICK + 2), text, fill=AXIS, font=font, anchor="mt")


def _mean(draw: ImageDraw.ImageDraw, plot: _Plot, bins: list[Bin], mean: float) -> None:
    """Mark the mean with a vertical line, between the bars of the totals around it."""
    centres = [(low + high) / 2 for low, high, _ in bins]
    position = len(bins) - 0.5  # in bar widths; bar i is centred on i + 0.5
    for index, centre in enumerate(centres):
        if mean <= centre:
            below = centres[index - 1] if index else centre
            share = 0.0 if centre == below else (mean - below) / (centre - below)
            position = index - 0.5 + share if index else 0.5
            break
    x = plot.left + round(position * (plot.right - plot.left) / len(bins))
    draw.line([(x, plot.top), (x, plot.bottom)], fill=MEAN, width=2)
