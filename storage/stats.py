"""Roll statistics: are my dice cursed?

For a set of rolls: how many, crits and fumbles, the mean of every die
against the mean a fair die gives, natural 20s and 1s (kept d20s), and a
chi-square test of all d20 faces rolled (dropped dice too: each one is a
fair sample) against a uniform die.

Statistics of everything, of a campaign, a user or a character (and any of
them grouped) are summed from the tallies ingest keeps (`storage.tallies`):
a few thousand rows at most, whatever the number of rolls. Filters the
tallies cannot answer (a session, an actor id, a time range) read the
matching rolls themselves, all of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract.answers import StatsAnswer
from storage import chisquare
from storage.auth import Principal
from storage.models import Roll, RollFace, RollTally
from storage.rollfilter import RollFilter
from storage.tallies import COUNTED, FACE_ADDED, Counts
from storage.views import shaped

MIN_D20_SAMPLE = 100  # 5 expected per face, the usual floor for chi-square
CURSED_P = 0.001
SUSPICIOUS_P = 0.05
GROUP_COLUMNS = {"user": Roll.user_id, "character": Roll.character_id, "campaign": Roll.campaign_id}
GroupKey = uuid.UUID | None


def report(c: Counts) -> dict[str, Any]:
    """Return the statistics of some counts as JSON."""
    return {
        "rolls": c.rolls,
        "crits": c.crits,
        "fumbles": c.fumbles,
        "dice": {
            "count": c.dice,
            "mean": c.dice_sum / c.dice if c.dice else None,
            "expected_mean": (c.dice_sides + c.dice) / 2 / c.dice if c.dice else None,
        },
        "d20": d20_report(c.face_counts(20), c.kept(20, 20), c.kept(20, 1)),
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
    session: AsyncSession, where: RollFilter, principal: Principal, group_by: str | None
) -> StatsAnswer:
    """Return the statistics of the rolls matching `where`, overall or grouped."""
    if where.session_id or where.actor_id or where.since or where.until:
        groups = await _from_rolls(session, where.conditions(principal), group_by)
    else:
        groups = await _from_tallies(session, where, principal, group_by)
    total = Counts()
    for counts in groups.values():
        total.merge(counts)
    out: dict[str, Any] = {"stats": report(total), "truncated": False}
    if group_by:
        name = f"{group_by}_id"
        ordered = sorted(groups.items(), key=lambda kv: (-kv[1].rolls, str(kv[0])))
        out["groups"] = [{name: str(k) if k else None, "stats": report(c)} for k, c in ordered]
    return shaped(StatsAnswer, out)


async def _from_rolls(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], group_by: str | None
) -> dict[GroupKey, Counts]:
    """Count every matching roll, reading its dice."""
    key = GROUP_COLUMNS[group_by] if group_by else None
    columns: list[Any] = [Roll.groups, Roll.crit, Roll.fumble, Roll.total]
    query = select(*columns, *([key] if key is not None else [])).where(*where)
    groups: dict[GroupKey, Counts] = {}
    result = await session.stream(query.execution_options(yield_per=2000))
    async for row in result:
        group = row[4] if key is not None else None
        counts = groups.get(group)
        if counts is None:
            counts = groups[group] = Counts()
        counts.add(row[0] or [], row[1], row[2], row[3])
    return groups


def _bucket_filter(table: Any, where: RollFilter, principal: Principal) -> list[Any]:
    out = [principal.where(table.c.campaign_id)]
    for name in ("campaign_id", "user_id", "character_id"):
        if (value := getattr(where, name)) is not None:
            out.append(table.c[name] == value)
    return out


async def _from_tallies(
    session: AsyncSession, where: RollFilter, principal: Principal, group_by: str | None
) -> dict[GroupKey, Counts]:
    """Sum the stored tallies of the matching buckets."""
    tally, faces = RollTally.__table__, RollFace.__table__
    name = f"{group_by}_id" if group_by else None
    keys: list[Any] = [tally.c[name]] if name else []
    query = select(*keys, *[func.sum(tally.c[n]) for n in COUNTED])
    query = query.where(*_bucket_filter(tally, where, principal)).group_by(*keys)
    groups: dict[GroupKey, Counts] = {}
    for row in await session.execute(query):
        sums = row[len(keys) :]
        if sums[0] is None:  # no bucket at all: SUM over nothing
            continue
        groups[row[0] if name else None] = _counts(dict(zip(COUNTED, sums, strict=True)))
    face_keys: list[Any] = [faces.c[name]] if name else []
    face_query = (
        select(*face_keys, *[func.sum(faces.c[n]) for n in FACE_ADDED])
        .where(faces.c.sides == 20, *_bucket_filter(faces, where, principal))
        .group_by(*face_keys)
    )
    for row in await session.execute(face_query):
        group, sums = (row[0], row[1:]) if name else (None, row)
        if sums[0] is not None:
            _add_d20(groups.setdefault(group, Counts()), [int(n) for n in sums])
    return groups


def _add_d20(counts: Counts, sums: list[int]) -> None:
    kept_one, kept_top, faces = sums[0], sums[1], sums[2:]
    for face, n in enumerate(faces, 1):
        kept = kept_one if face == 1 else kept_top if face == 20 else 0
        if n or kept:
            counts.faces[(20, face)] = [n, kept]


def _counts(sums: Mapping[str, Any]) -> Counts:
    # PostgreSQL sums bigints as numeric (Decimal): back to int, exactly.
    counts = Counts(total_sum=float(sums["total_sum"]))
    for name in COUNTED:
        if name != "total_sum":
            setattr(counts, name, int(sums[name]))
    return counts
