"""What a `/roll` asks for, and how to roll it, apart from Discord.

The cog turns options into a `RollRequest`; this module rolls it with the
dice engine and encodes it into a button's custom id so "Roll again" works
after a restart without any server-side state.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from core_client import dice
from core_client.dice import Advantage, Limits, RollResult

CUSTOM_ID_LIMIT = 100  # Discord's limit on a component's custom_id
_AGAIN = re.compile(r"fb:roll:(?P<adv>[nad]):(?P<rep>\d{1,3}):(?P<priv>[01]):(?P<expr>.+)", re.S)
_ADV_CODES = {Advantage.NONE: "n", Advantage.ADVANTAGE: "a", Advantage.DISADVANTAGE: "d"}
_STATS_SUFFIX = re.compile(r"(?:^|\s)stats\s*$", re.I)


@dataclass(frozen=True, slots=True)
class RollRequest:
    """One roll as a player asked for it."""

    expression: str
    label: str | None = None
    private: bool = False
    repeat: int = 1
    advantage: Advantage = Advantage.NONE
    stats: bool = False


def request_from(
    expression: str,
    *,
    label: str | None = None,
    private: bool = False,
    repeat: int = 1,
    advantage: Advantage = Advantage.NONE,
) -> RollRequest:
    """Build a request; a trailing word `stats` asks for the distribution instead."""
    text = expression.strip()
    wants_stats = bool(_STATS_SUFFIX.search(text))
    if wants_stats:
        text = _STATS_SUFFIX.sub("", text).strip()
    return RollRequest(text, label or None, private, repeat, advantage, wants_stats)


def roll(request: RollRequest, *, rng: random.Random, limits: Limits) -> list[RollResult]:
    """Roll a request once per repeat; raise DiceError on bad notation or limits."""
    return dice.roll_many(
        request.expression, request.repeat, rng=rng, limits=limits, advantage=request.advantage
    )


def label_of(request: RollRequest, result: RollResult) -> str | None:
    """Return the roll's label: the option if given, else the trailing comment."""
    return request.label or result.comment


def again_id(request: RollRequest) -> str | None:
    """Encode a request into a button custom id, or None if it does not fit."""
    label = f" {request.label}" if request.label else ""
    custom_id = (
        f"fb:roll:{_ADV_CODES[request.advantage]}:{request.repeat}:"
        f"{int(request.private)}:{request.expression}{label}"
    )
    return custom_id if len(custom_id) <= CUSTOM_ID_LIMIT else None


def request_from_again_id(custom_id: str) -> RollRequest | None:
    """Decode a "Roll again" custom id, or None if it is not one."""
    match = _AGAIN.fullmatch(custom_id)
    if match is None:
        return None
    advantage = next(a for a, code in _ADV_CODES.items() if code == match["adv"])
    return RollRequest(
        expression=match["expr"],
        private=match["priv"] == "1",
        repeat=max(1, int(match["rep"])),
        advantage=advantage,
    )
