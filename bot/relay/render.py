"""How a VTT event reads in Discord, and how an inline-roll reply reads there.

A relayed roll reads as a native `/roll` of the same dice does (the engine's
breakdown, the label apart, the same verdict words); see `bot.relay.replay`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.embeds import clip, verdict_of
from bot.relay.coalesce import CONTENT_LIMIT, Line
from bot.relay.replay import replay
from core_client.contract import codec
from core_client.contract.bus import BusType, GameEvent
from core_client.dice import InlineResult, render_markdown, replace_inline_rolls
from core_client.dice.render import escape

PLATFORM_NAMES = {
    "roll20": "Roll20",
    "foundry": "Foundry",
    "dndbeyond": "D&D Beyond",
    "beyond20": "Beyond20",
    "owlbear": "Owlbear Rodeo",
    "bridge": "FumbleBot",
}


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}"


def line_for(event_type: str, event: GameEvent) -> Line | None:
    """Return the Discord line for a VTT bus event, or None if it is not shown."""
    platform = event.origin.platform
    where = PLATFORM_NAMES.get(platform, platform)
    if event_type == BusType.CHAT and event.chat is not None:
        speaker = event.chat.speaker or event.origin.user_name or "Someone"
        return Line(f"{speaker} ({where})", event.chat.text)
    if event_type == BusType.ROLL and event.roll is not None:
        roll = event.roll
        speaker = roll.character_name or roll.actor_name or "Someone"
        # The replay reads the record's JSON form, as any VTT's roll arrives.
        return Line(f"{speaker} ({where})", roll_text(codec.to_builtins(roll)))
    return None


def roll_text(roll: Mapping[str, Any]) -> str:
    """Return a relayed roll as a native `/roll` shows the same dice: label, breakdown, verdict.

    The roll is replayed through our engine when it reproduces the VTT's total;
    otherwise the VTT's own groups are shown, with what they do not explain
    (the flat modifiers) as one number, so the sum always reads right.
    """
    budget = CONTENT_LIMIT - 300  # room for the label and the verdict
    result = replay(roll)
    label = roll.get("label") or (result.comment if result else None)
    if result is not None:
        what, breakdown = label or result.expression, render_markdown(result, max_length=budget)
    else:
        what, breakdown = label or _formula(roll, label), _breakdown(roll, budget)
    # The VTT's own verdict counts, and so does a crit range the engine read (`cs>18`).
    crit = bool(roll.get("crit")) or (result is not None and result.crit)
    fumble = bool(roll.get("fumble")) or (result is not None and result.fumble)
    verdict = verdict_of(crit, fumble)
    text = f"🎲 **{escape(clip(str(what), 200))}**: {breakdown}"
    return clip(text + (f" **{verdict}**" if verdict else ""), CONTENT_LIMIT)


def _formula(roll: Mapping[str, Any], label: str | None) -> str:
    """Return the formula without the label a VTT left at its end."""
    formula = str(roll.get("formula") or "?")
    if label and formula.endswith(label):
        formula = formula.removesuffix(label).rstrip()
    return formula or "?"


def _breakdown(roll: Mapping[str, Any], budget: int) -> str:
    groups = [g for g in roll.get("groups") or [] if isinstance(g, Mapping)]
    parts = [_group(g) for g in groups]
    total = roll.get("total")
    counted = sum(_subtotal(g) for g in groups)
    if isinstance(total, int | float) and total != counted:
        flat = total - counted
        parts.append(f"{'-' if flat < 0 else '+'} {_number(abs(flat))}")
    shown = clip(" ".join(parts).removeprefix("+ "), budget)
    return f"{shown} = `{_number(total)}`" if shown else f"`{_number(total)}`"


def _subtotal(group: Mapping[str, Any]) -> int | float:
    """Return what a group adds: its recorded subtotal, or else its kept dice."""
    subtotal = group.get("subtotal")
    if isinstance(subtotal, int | float):
        return subtotal
    dice = group.get("dice") or []
    return sum(d.get("value") or 0 for d in dice if d.get("kept", True))


def _group(group: Mapping[str, Any]) -> str:
    dice = group.get("dice") or []
    faces = [escape(str(d.get("value"))) for d in dice[:30]]
    faces = [f if d.get("kept", True) else f"~~{f}~~" for f, d in zip(faces, dice, strict=False)]
    more = f", … {len(dice) - 30} more" if len(dice) > 30 else ""
    return f"+ {escape(str(group.get('notation', '?')))} ({', '.join(faces)}{more})"


def inline_reply(text: str, rolled: list[InlineResult]) -> str:
    """Return the reply to a message with inline rolls: totals in place, then breakdowns."""
    head = replace_inline_rolls(text, rolled)
    budget = max(40, (CONTENT_LIMIT - len(head) - 10) // max(1, len(rolled)) - 4)
    lines = [f"• {render_markdown(r.result, max_length=budget)}" for r in rolled]
    reply = "\n".join([head, *lines])
    return reply if len(reply) <= CONTENT_LIMIT else reply[: CONTENT_LIMIT - 1] + "…"
