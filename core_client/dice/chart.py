"""A small bar chart of a distribution as a PNG, with a tiny pure-stdlib PNG encoder.

One bar per possible total (bins when there are more totals than pixels), the
mean marked by a vertical line, the lowest and highest totals written under the
axis with a 3x5 pixel font, and optionally the rolled total highlighted.
"""

from __future__ import annotations

import struct
import zlib

from .arithmetic import Number
from .distribution import Distribution
from .nodes import format_number

Color = tuple[int, int, int]
BACKGROUND: Color = (43, 45, 49)  # Discord's dark theme
BAR: Color = (88, 101, 242)
HIGHLIGHT: Color = (254, 231, 92)
AXIS: Color = (181, 186, 193)
MEAN: Color = (237, 66, 69)

# 3x5 glyphs, one string of 15 bits per character, read row by row.
_FONT = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    "-": "000000111000000",
    ".": "000000000000010",
}
_SCALE = 2
_MARGIN = 8
_LABEL_HEIGHT = 5 * _SCALE + 2 * _MARGIN


def encode_png(width: int, height: int, pixels: bytes) -> bytes:
    """Encode 8-bit RGB `pixels` (row by row, 3 bytes each) as a PNG file."""
    if len(pixels) != width * height * 3:
        raise ValueError("pixel buffer does not match the image size")
    stride = width * 3
    # Each scanline starts with its filter type; 0 means unfiltered.
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


class _Canvas:
    """An RGB pixel buffer with rectangle and text drawing."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(BACKGROUND) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 >= x1:
            return
        span = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(span)] = span

    def text(self, x: int, y: int, text: str, color: Color) -> None:
        """Draw `text` with its top-left corner at (x, y)."""
        for char in text:
            glyph = _FONT.get(char, "0" * 15)
            for index, bit in enumerate(glyph):
                if bit == "1":
                    gx, gy = x + (index % 3) * _SCALE, y + (index // 3) * _SCALE
                    self.rect(gx, gy, gx + _SCALE, gy + _SCALE, color)
            x += 4 * _SCALE


def text_width(text: str) -> int:
    """Return the width in pixels of `text` in the chart font."""
    return max(0, len(text) * 4 * _SCALE - _SCALE)


def render_chart(
    distribution: Distribution,
    *,
    width: int = 480,
    height: int = 240,
    highlight: Number | None = None,
) -> bytes:
    """Draw `distribution` as a bar chart and return the PNG bytes."""
    if not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise ValueError("chart size must be between 64 and 4096 pixels")
    canvas = _Canvas(width, height)
    left, right = _MARGIN, width - _MARGIN
    top, bottom = _MARGIN, height - _LABEL_HEIGHT
    bins = _bins(distribution, right - left)
    peak = max(p for _, _, p in bins) or 1.0
    bar_width = (right - left) / len(bins)
    for index, (low, high, p) in enumerate(bins):
        x0 = left + round(index * bar_width)
        x1 = max(x0 + 1, left + round((index + 1) * bar_width) - (1 if bar_width >= 4 else 0))
        bar_top = bottom - round((bottom - top) * p / peak)
        hit = highlight is not None and low <= highlight <= high
        canvas.rect(x0, bar_top, x1, bottom, HIGHLIGHT if hit else BAR)
    canvas.rect(left, bottom, right, bottom + 1, AXIS)
    mean_x = left + round(_position(distribution.mean, bins) * (right - left))
    canvas.rect(mean_x, top, mean_x + 1, bottom, MEAN)
    label_y = bottom + _MARGIN
    canvas.text(left, label_y, format_number(distribution.min), AXIS)
    maximum = format_number(distribution.max)
    canvas.text(right - text_width(maximum), label_y, maximum, AXIS)
    mean = format_number(round(distribution.mean, 2))
    canvas.text(min(max(left, mean_x - text_width(mean) // 2), right), label_y, mean, MEAN)
    return encode_png(width, height, bytes(canvas.pixels))


def _bins(distribution: Distribution, slots: int) -> list[tuple[Number, Number, float]]:
    """Group outcomes into at most `slots` bins of (lowest, highest, probability)."""
    outcomes = distribution.outcomes
    per_bin = max(1, -(-len(outcomes) // max(1, slots)))
    bins = []
    for start in range(0, len(outcomes), per_bin):
        chunk = outcomes[start : start + per_bin]
        bins.append((chunk[0][0], chunk[-1][0], sum(p for _, p in chunk)))
    return bins


def _position(value: float, bins: list[tuple[Number, Number, float]]) -> float:
    """Return where `value` falls along the bins, from 0 to 1, between bin centres."""
    centres = [(low + high) / 2 for low, high, _ in bins]
    count = len(bins)
    if value <= centres[0]:
        return 0.5 / count
    for index in range(1, count):
        if value <= centres[index]:
            share = (value - centres[index - 1]) / (centres[index] - centres[index - 1])
            return (index - 0.5 + share) / count
    return (count - 0.5) / count
