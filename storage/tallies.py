"""Roll tallies: the counts statistics are made of, kept up to date at ingest.

`GET /rolls/stats` once read every matching roll and decoded its dice; at a
million rolls that took seconds and stopped at 200,000. Instead, each
transaction that inserts rolls adds them to their bucket's counts (one row
per campaign, user and character in `roll_tallies`, one per bucket and
die size, a column per face, in `roll_faces`) with an upsert that adds to
what is stored, so concurrent writers never lose a count: the database adds
under its own row lock. Only rolls the database actually inserted are counted (the caller
passes those), which keeps the counts exact when the same roll is
delivered again. Rows are upserted in key order, so two writers lock the
same rows in the same order and cannot deadlock each other.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract import DiceGroup
from storage import bulk
from storage.models import RollFace, RollTally
from storage.models.tallies import FACE_COLUMNS

log = logging.getLogger(__name__)

# Faces are counted per die size up to d20 (a column each in `roll_faces`);
# bigger dice count in the dice totals only.
MAX_FACE_SIDES = FACE_COLUMNS
COUNTED = ("rolls", "crits", "fumbles", "total_sum", "dice", "dice_sum", "dice_sides")
Key = tuple[uuid.UUID | None, uuid.UUID | None, uuid.UUID | None]


@dataclass(slots=True)
class Counts:
    """Running counts over a set of rolls."""

    rolls: int = 0
    crits: int = 0
    fumbles: int = 0
    total_sum: float = 0.0
    dice: int = 0
    dice_sum: int = 0
    dice_sides: int = 0
    faces: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # -> [count, kept]

    def add(self, groups: Sequence[Any], crit: bool, fumble: bool, total: float) -> None:
        """Count one roll, given its dice groups as stored (JSON)."""
        self._add_roll(crit, fumble, total)
        for group in groups:
            sides = group.get("sides")
            if isinstance(sides, int) and sides > 0:
                dice = group.get("dice", [])
                self._add_dice(sides, [(int(d.get("value", 0)), d.get("kept", True)) for d in dice])

    def add_rolled(
        self, groups: Sequence[DiceGroup], crit: bool, fumble: bool, total: float
    ) -> None:
        """Count one roll, given its dice groups as its record holds them (as `add` would)."""
        self._add_roll(crit, fumble, total)
        for group in groups:
            sides = group.sides
            if isinstance(sides, int) and sides > 0:  # "F", a Fate die, is stored and skipped
                self._add_dice(sides, [(d.value, d.kept) for d in group.dice])

    def _add_roll(self, crit: bool, fumble: bool, total: float) -> None:
        self.rolls += 1
        self.crits += bool(crit)
        self.fumbles += bool(fumble)
        self.total_sum += total

    def _add_dice(self, sides: int, dice: Iterable[tuple[int, Any]]) -> None:
        for value, kept in dice:
            self.dice += 1
            self.dice_sum += value
            self.dice_sides += sides
            if 1 <= value <= sides <= MAX_FACE_SIDES:
                face = self.faces.setdefault((sides, value), [0, 0])
                face[0] += 1
                face[1] += bool(kept)

    def merge(self, other: Counts) -> None:
        """Add another set of counts to these."""
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, (n, kept) in other.faces.items():
            face = self.faces.setdefault(key, [0, 0])
            face[0] += n
            face[1] += kept

    def face_counts(self, sides: int) -> list[int]:
        """Return how often each face of a die size came up, face 1 first."""
        return [self.faces.get((sides, f), [0, 0])[0] for f in range(1, sides + 1)]

    def kept(self, sides: int, face: int) -> int:
        """Return how often a face came up on a kept die."""
        return self.faces.get((sides, face), [0, 0])[1]


def key_of(row: Mapping[Any, Any]) -> Key:
    """Return the bucket of a rolls-table row."""
    return row.get("campaign_id"), row.get("user_id"), row.get("character_id")


def bucket(key: Key) -> str:
    """Return a bucket's primary key: its three ids (hex, empty for none)."""
    return "|".join(u.hex if u is not None else "" for u in key)


def count(
    rows: Iterable[Mapping[Any, Any]],
    into: dict[Key, Counts] | None = None,
    *,
    rolled: bool = False,
) -> dict[Key, Counts]:
    """Tally rolls-table rows (as dicts) by bucket, adding to `into` if given.

    Their groups as stored (JSON), or, if `rolled`, as ingest's rows hold
    them: the record's own (`handlers.rolls.roll_row`).
    """
    out: dict[Key, Counts] = {} if into is None else into
    add = Counts.add_rolled if rolled else Counts.add
    for row in rows:
        counts = out.get(key := key_of(row))
        if counts is None:
            counts = out[key] = Counts()
        add(counts, row["groups"] or [], row["crit"], row["fumble"], row["total"])
    return out


async def record(
    session: AsyncSession, rows: Iterable[Mapping[str, Any]], *, rolled: bool = False
) -> None:
    """Add inserted rolls (rolls-table rows as dicts; `rolled`: as `count`) to the tallies."""
    tallies = count(rows, rolled=rolled)
    if not tallies:
        return
    buckets, faces = rows_of(tallies)
    await bulk.insert(
        session, RollTally.__table__, buckets, columns=TALLY_ROW, conflict=["bucket"], add=COUNTED
    )
    await bulk.insert(
        session,
        RollFace.__table__,
        faces,
        columns=FACE_ROW,
        conflict=["bucket", "sides"],
        add=FACE_ADDED,
    )


def rows_of(tallies: dict[Key, Counts]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Return the (roll_tallies, roll_faces) rows of tallies in key order.

    Tuples of `TALLY_ROW` and `FACE_ROW`: this runs for every delivery, and
    a dict per row cost more than the database's work on it.
    """
    ordered = sorted((bucket(key), key, c) for key, c in tallies.items())
    return _tally_rows(ordered), _face_rows(ordered)


def _tally_rows(ordered: list[tuple[str, Key, Counts]]) -> list[tuple[Any, ...]]:
    return [
        (name, *key, c.rolls, c.crits, c.fumbles, c.total_sum, c.dice, c.dice_sum, c.dice_sides)
        for name, key, c in ordered
    ]


def _face_rows(ordered: list[tuple[str, Key, Counts]]) -> list[tuple[Any, ...]]:
    rows = []
    for name, key, c in ordered:
        # One pass over the bucket's faces (a face per column, zero where none came up).
        by_sides: dict[int, list[int]] = {}
        for (sides, face), (n, kept) in c.faces.items():
            row = by_sides.get(sides)
            if row is None:
                row = by_sides[sides] = [0] * (FACE_COLUMNS + 2)  # kept 1 and top, then faces
            row[face + 1] = n
            if face == 1:
                row[0] = kept
            if face == sides:
                row[1] = kept
        rows += [(name, sides, *key, *by_sides[sides]) for sides in sorted(by_sides)]
    return rows


FACES = range(1, FACE_COLUMNS + 1)
FACE_NAMES = tuple(f"face_{f}" for f in FACES)
FACE_ADDED = ("kept_one", "kept_top", *FACE_NAMES)
FACE_ROW = ("bucket", "sides", "campaign_id", "user_id", "character_id", *FACE_ADDED)
TALLY_ROW = ("bucket", "campaign_id", "user_id", "character_id", *COUNTED)
