"""Which faces of a die a set of compare points hits, as integer intervals.

Working with intervals instead of listing faces keeps checks on a d10000 cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .nodes import ComparePoint

Span = tuple[int, int]  # inclusive


def hit_spans(points: Sequence[ComparePoint], low: int, high: int) -> list[Span]:
    """Return the merged faces in `low..high` hit by any of `points`."""
    spans = []
    for point in points:
        if point.op == "=":
            start, end = point.value, point.value
        elif point.op == ">":
            start, end = point.value, high
        else:
            start, end = low, point.value
        start, end = max(start, low), min(end, high)
        if start <= end:
            spans.append((start, end))
    spans.sort()
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def missed_spans(points: Sequence[ComparePoint], low: int, high: int) -> list[Span]:
    """Return the faces in `low..high` that none of `points` hits."""
    missed = []
    cursor = low
    for start, end in hit_spans(points, low, high):
        if start > cursor:
            missed.append((cursor, start - 1))
        cursor = end + 1
    if cursor <= high:
        missed.append((cursor, high))
    return missed


def hits_all(points: Sequence[ComparePoint], spans: Sequence[Span]) -> bool:
    """Return whether every face in `spans` is hit by `points`."""
    return all(not missed_spans(points, start, end) for start, end in spans)


def predicate(points: Sequence[ComparePoint]) -> Callable[[int], bool]:
    """Return a fast test for "hits one of `points`" (bound int methods, no Python frame)."""
    if len(points) == 1:
        point = points[0]
        if point.op == "=":
            return point.value.__eq__
        return point.value.__le__ if point.op == ">" else point.value.__ge__
    tests = [predicate((p,)) for p in points]
    return lambda value: any(test(value) for test in tests)


def never(value: int) -> bool:
    """Hit nothing: the test used when a modifier is absent."""
    return False
