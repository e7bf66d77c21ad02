"""Turn the dice engine's results into standard roll records for Core.

The engine knows nothing of Core or Discord; this adapter is where a rolled
expression meets who rolled it and where.
"""

from __future__ import annotations

from dataclasses import replace

from core_client import DiceGroup, Die, Platform, RollRecord, Visibility
from core_client.contract import codec
from core_client.critrules import Rule, verdict
from core_client.dice import RollResult


def to_record(
    result: RollResult,
    *,
    campaign_id: str,
    actor_id: str | None = None,
    actor_name: str | None = None,
    character_id: str | None = None,
    character_name: str | None = None,
    source_message_id: str | None = None,
    label: str | None = None,
    visibility: Visibility = Visibility.PUBLIC,
    platform: Platform = Platform.DISCORD,
) -> RollRecord:
    """Return the standard record of a roll made by our own engine."""
    return RollRecord(
        platform=platform,
        campaign_id=campaign_id,
        formula=result.expression,
        total=result.total,
        groups=dice_groups(result),
        source_message_id=source_message_id,
        actor_id=actor_id,
        actor_name=actor_name,
        character_id=character_id,
        character_name=character_name,
        label=label or result.comment,
        visibility=visibility,
        crit=result.crit,
        fumble=result.fumble,
    )


def dice_groups(result: RollResult) -> tuple[DiceGroup, ...]:
    """Return every dice term of a result as a standard dice group."""
    return tuple(
        DiceGroup(
            notation=term.notation,
            sides=term.sides,
            label=term.label,
            subtotal=term.subtotal,
            dice=tuple(
                Die(
                    sides=d.sides,
                    value=d.value,
                    kept=d.kept,
                    exploded=d.exploded,
                    rerolled=d.rerolled,
                )
                for d in term.dice
            ),
        )
        for term in result.terms()
    )


def judged(result: RollResult, rules: list[Rule] | None) -> RollResult:
    """Return the result with crit and fumble decided by the campaign's rules."""
    if rules is None:
        return result
    crit, fumble, _ = verdict(rules, codec.to_builtins(dice_groups(result)))
    return replace(result, crit=crit, fumble=fumble)
