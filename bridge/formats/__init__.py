"""VTT roll formats: one module per VTT, each a set of pure converters.

`convert(format, payload, context)` turns one payload in a VTT's own format
into standard roll records, or raises `FormatError` naming the bad field.
The format names are part of the HTTP API (`POST /vtt/rolls`).

Who may see a roll follows one rule for every VTT, by its audience and not
by what the VTT calls it:
- `public`: everyone at the table;
- `private`: the roller and the GMs, plus any named users. A roll "to the
  GM" that the roller still sees is private: Roll20 `gmrollresult`
  (`/gmroll`) and whispered inline rolls, a Foundry whisper, D&D Beyond's
  "to self" or "to DM", Beyond20's "whisper to GM", a hidden Owlbear roll;
- `gm`: the GMs only, the roller not shown the result: a Foundry blind roll.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.errors import FormatError
from bridge.formats import beyond20, dndbeyond, foundry, owlbear, roll20
from bridge.formats.common import RollContext
from core_client import RollRecord

Converter = Callable[[object, RollContext], list[RollRecord]]

CONVERTERS: dict[str, Converter] = {
    "roll20.chat": roll20.from_chat_message,
    "roll20.inline": roll20.from_inline_rolls,
    "roll20.scrape": roll20.from_scrape,
    "foundry.roll": foundry.from_roll,
    "foundry.chat_message": foundry.from_chat_message,
    "dndbeyond.game_log": dndbeyond.from_game_log,
    "beyond20.rendered_roll": beyond20.from_rendered_roll,
    "owlbear.dice": owlbear.from_dice_roll,
}
# Formats that ask the bridge to roll instead of carrying results.
SERVER_ROLLED = {"beyond20.roll"}
FORMATS = (*CONVERTERS, *SERVER_ROLLED)


def convert(format: str, payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert one payload in a VTT's format to standard roll records."""
    converter = CONVERTERS.get(format)
    if converter is None:
        raise FormatError(f"is not a known format; use one of {', '.join(FORMATS)}", field="format")
    return converter(payload, ctx)


__all__ = ["CONVERTERS", "FORMATS", "SERVER_ROLLED", "RollContext", "convert"]
