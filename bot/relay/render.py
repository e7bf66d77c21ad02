"""How a VTT event reads in Discord, and how an inline-roll reply reads there."""

from __future__ import annotations

from typing import Any

from bot.relay.coalesce import CONTENT_LIMIT, Line
from core_client import RollRecord
from core_client.contract.bus import BusType, GameEvent
from core_client.dice import InlineResult, render_markdown, replace_inline_rolls

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


def _dice(roll: RollRecord) -> str:
    parts = []
    for group in roll.groups:
        dice = [(f"{d.value}" if d.kept else f"~~{d.value}~~") for d in group.dice[:30]]
        parts.append(f"{group.notation} ({', '.join(dice)})")
    return " + ".join(parts)


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
        label = f" — {roll.label}" if roll.label else ""
        verdict = " **Critical!**" if roll.crit else " **Fumble!**" if roll.fumble else ""
        dice = _dice(roll)
        text = (
            f"🎲 `{roll.formula}`{label}: {dice + ' = ' if dice else ''}"
            f"**{_number(roll.total)}**{verdict}"
        )
        return Line(f"{speaker} ({where})", text[:CONTENT_LIMIT])
    return None


def inline_reply(text: str, rolled: list[InlineResult]) -> str:
    """Return the reply to a message with inline rolls: totals in place, then breakdowns."""
    head = replace_inline_rolls(text, rolled)
    budget = max(40, (CONTENT_LIMIT - len(head) - 10) // max(1, len(rolled)) - 4)
    lines = [f"• {render_markdown(r.result, max_length=budget)}" for r in rolled]
    reply = "\n".join([head, *lines])
    return reply if len(reply) <= CONTENT_LIMIT else reply[: CONTENT_LIMIT - 1] + "…"
