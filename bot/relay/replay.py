"""Replay a VTT's roll through our dice engine, so it reads like a native `/roll`.

A relayed roll carries its formula and every die the VTT rolled, in order.
Rolling that formula again with a random source that answers with those very
faces gives the engine's own result tree (flat modifiers, inline labels, kept
and dropped dice, `cs>18` crit ranges and all), which `render_markdown` shows
exactly as it shows a native roll. When the replay does not reproduce the
VTT's total (a dialect we read differently, dice missing from the payload),
the VTT's numbers win and `None` tells the caller to fall back.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator, Mapping
from typing import Any

from core_client import dice
from core_client.dice import RollResult

log = logging.getLogger(__name__)


class _ReplayDone(Exception):
    """The recorded faces ran out or did not fit a die the formula rolls."""


class RecordedFaces(random.Random):
    """A random source answering each die with the next face the VTT recorded."""

    def __init__(self, faces: list[tuple[int | str, int]]) -> None:
        super().__init__(0)
        self._faces: Iterator[tuple[int | str, int]] = iter(faces)
        self.left = len(faces)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """Return the next recorded face as the engine's zero-based draw."""
        n = start if stop is None else stop - start
        face = next(self._faces, None)
        if face is None:
            raise _ReplayDone
        self.left -= 1
        sides, value = face
        # Fate dice are drawn from randrange(3) and shifted down by one.
        fate = sides == "F" and n == 3
        draw = value + 1 if fate else value - 1
        if not (fate or sides == n) or not 0 <= draw < n:
            raise _ReplayDone
        return draw


def recorded_faces(roll: Mapping[str, Any]) -> list[tuple[int | str, int]]:
    """Return every die of a relayed roll as (sides, face), in the order rolled."""
    faces: list[tuple[int | str, int]] = []
    for group in roll.get("groups") or []:
        for die in group.get("dice") or []:
            sides, value = die.get("sides", group.get("sides")), die.get("value")
            if isinstance(value, int) and isinstance(sides, int | str):
                faces.append((sides, value))
    return faces


def replay(roll: Mapping[str, Any]) -> RollResult | None:
    """Return the engine's result for a relayed roll, or None if it cannot be reproduced."""
    formula, total = roll.get("formula"), roll.get("total")
    if not isinstance(formula, str) or not isinstance(total, int | float):
        return None
    faces = RecordedFaces(recorded_faces(roll))
    try:
        result = dice.roll(formula, rng=faces)  # the default limits bound the work
    except (dice.DiceError, _ReplayDone):
        return None
    if faces.left != 0 or not math.isclose(result.total, total):
        log.debug("relayed roll %r does not replay to its total %r", formula, total)
        return None
    return result
