"""Roll statistics: are my dice cursed?

For a set of rolls: how many, crits and fumbles, the mean of every die
against the mean a fair die gives, natural 20s and 1s (kept d20s), and a
chi-square test of all d20 faces rolled (dropped dice too: each one is a
fair sample) against a uniform die.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract.answers import StatsAnswer
from storage import chisquare
from storage.models import Roll
from storage.views import shaped

MIN_D20_SAMPLE = 100  # 5 expected per face, the usual floor for chi-square
CURSED_P = 0.001
SUSPICIOUS_P = 0.05
MAX_ROLLS = 200_000  # bounds one request's work; the answer says when it was reached
GROUP_COLUMNS = {"user": Roll.user_id, "character": Roll.character_id, "campaign": Roll.campaign_id}


@dataclass
class Tally:
    """Running counts over a set of rolls."""

    rolls: int = 0
    crits: int = 0
    fumbles: int = 0
    dice: int = 0
    dice_sum: float = 0.0
    dice_expected: float = 0.0
    faces: list[int] = field(default_factory=lambda: [0] * 20)
    nat20: int = 0
    nat1: int = 0

    def add(self, groups: Sequence[Any], crit: bool, fumble: bool) -> None:
        """Count one roll."""
        self.rolls += 1
        self.crits += crit
        self.fumbles += fumble
        for group in groups:
            sides = group.get("sides")
            if isinstance(sides, int) and sides > 0:
                self._add_dice(sides, group.get("dice", []))

    def _add_dice(self, sides: int, dice: Iterable[Mapping[str, Any]]) -> None:
        for die in dice:
            value = int(die.get("value", 0))
            self.dice += 1
            self.dice_sum += value
            self.dice_expected += (sides + 1) / 2
            if sides == 20 and 1 <= value <= 20:
                self.faces[value - 1] += 1
                if die.get("kept", True):
                    self.nat20 += value == 20
                    self.nat1 += value == 1

    def report(self) -> dict[str, Any]:
        """Return the statistics as JSON."""
        return {
            "rolls": self.rolls,
            "crits": self.crits,
            "fumbles": self.fumbles,
            "dice": {
                "count": self.dice,
                "mean": self.dice_sum / self.dice if self.dice else None,
                "expected_mean": self.dice_expected / self.dice if self.dice else None,
            },
            "d20": d20_report(self.faces, self.nat20, self.nat1),
        }


def d20_report(faces: Sequence[int], nat20: int, nat1: int) -> dict[str, Any]:
    """Return the d20 section: faces, naturals, and the chi-square verdict."""
    n = sum(faces)
    out: dict[str, Any] = {
        "count": n,
        "mean": sum((i + 1) * c for i, c in enumerate(faces)) / n if n else None,
        "expected_mean": 10.5,
        "nat20": nat20,
        "nat1": nat1,
        "faces": list(faces),
        "chi_square": None,
        "dof": 19,
        "p_value": None,
    }
    if n == 0:
        return out | {"verdict": "no d20 rolls yet"}
    chi2, _, p = chisquare.uniform_test(faces)
    return out | {"chi_square": chi2, "p_value": p, "verdict": verdict(n, p)}


def verdict(n: int, p: float) -> str:
    """Answer "are my dice cursed?" in words."""
    if n < MIN_D20_SAMPLE:
        return f"too few d20 rolls to tell ({n}; at least {MIN_D20_SAMPLE} are needed)"
    if p < CURSED_P:
        return f"cursed: faces this uneven happen by chance with p={p:.2g}"
    if p < SUSPICIOUS_P:
        return f"suspicious: p={p:.2g}, roll some more before blaming the dice"
    return f"fair: nothing unusual (p={p:.2g})"


async def compute(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], group_by: str | None
) -> StatsAnswer:
    """Tally the rolls matching `where`, overall or per user, character or campaign."""
    key = GROUP_COLUMNS[group_by] if group_by else None
    columns: list[Any] = [Roll.groups, Roll.crit, Roll.fumble, *([key] if key is not None else [])]
    query = select(*columns).where(*where).order_by(Roll.rolled_at.desc()).limit(MAX_ROLLS)
    tallies: dict[uuid.UUID | None, Tally] = {}
    total = Tally()
    result = await session.stream(query.execution_options(yield_per=2000))
    async for row in result:
        total.add(row[0], row[1], row[2])
        if key is not None:
            tallies.setdefault(row[3], Tally()).add(row[0], row[1], row[2])
    out = {"stats": total.report(), "truncated": total.rolls >= MAX_ROLLS}
    if group_by:
        name = f"{group_by}_id"
        out["groups"] = [
            {name: str(k) if k else None, "stats": t.report()}
            for k, t in sorted(tallies.items(), key=lambda kv: -kv[1].rolls)
        ]
    return shaped(StatsAnswer, out)
