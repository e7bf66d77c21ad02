"""How a VTT event reads in Discord, and how an inline-roll reply reads there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.relay.coalesce import CONTENT_LIMIT, Line
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


def _dice(roll: Mapping[str, Any]) -> str:
    parts = []
    for group in roll.get("groups") or []:
        dice = [
            (f"{d['value']}" if d.get("kept", True) else f"~~{d['value']}~~")
            for d in (group.get("dice") or [])[:30]
        ]
        parts.append(f"{group.get('notation', '?')} ({', '.join(dice)})")
    return " + ".join(parts)


def line_for(event_type: str, data: Mapping[str, Any]) -> Line | None:
    """Return the Discord line for a VTT bus event, or None if it is not shown."""
    origin = data.get("origin") or {}
    where = PLATFORM_NAMES.get(str(origin.get("platform")), str(origin.get("platform")))
    if event_type == "chat":
        chat = data.get("chat") or {}
        speaker = str(chat.get("speaker") or origin.get("user_name") or "Someone")
        return Line(f"{speaker} ({where})", str(chat.get("text") or ""))
    if event_type == "roll":
        roll = data.get("roll") or {}
        speaker = str(roll.get("character_name") or roll.get("actor_name") or "Someone")
        label = f" — {roll['label']}" if roll.get("label") else ""
        verdict = (
            " **Critical!**" if roll.get("crit") else " **Fumble!**" if roll.get("fumble") else ""
        )
        dice = _dice(roll)
        text = (
            f"🎲 `{roll.get('formula', '?')}`{label}: {dice + ' = ' if dice else ''}"
            f"**{_number(roll.get('total'))}**{verdict}"
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
