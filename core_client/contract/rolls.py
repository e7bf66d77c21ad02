"""The standard roll record: one shape for every roll, whatever made it.

Discord's `/roll`, each VTT's own roll format and the bridge's server-side
roller all end up as a `RollRecord`. It keeps every die, kept or dropped, and
the raw source payload as received, so Core can always re-derive or audit.
Untrusted JSON becomes a record only through `codec.decode`, which checks
every bound declared here.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from core_client.contract.enums import EventType, Platform, Visibility
from core_client.contract.events import Record
from core_client.contract.scalars import (
    DieValue,
    Id,
    Name,
    Sides,
    Text,
    Total,
    check_json,
)
from core_client.ids import ordered_uuid

MAX_GROUPS = 100
MAX_DICE_PER_GROUP = 1000


class Die(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One die as it landed."""

    sides: Sides
    value: DieValue
    kept: bool = True
    exploded: bool = False
    rerolled: bool = False


class DiceGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One dice term, such as `2d20kh1`, with every die it rolled."""

    notation: Text
    sides: Sides
    dice: Annotated[tuple[Die, ...], msgspec.Meta(max_length=MAX_DICE_PER_GROUP)]
    label: Text | None = None
    subtotal: Total | None = None


def _new_id() -> str:
    return str(ordered_uuid())  # time-ordered: Core's index on it stays compact


class RollRecord(Record, frozen=True):
    """A roll in the standard shape shared by bot, bridge and Core."""

    event_type: ClassVar[EventType] = EventType.ROLL_RECORDED

    platform: Platform
    campaign_id: Id
    formula: Text
    total: Total
    groups: Annotated[tuple[DiceGroup, ...], msgspec.Meta(max_length=MAX_GROUPS)] = ()
    id: Id = msgspec.field(default_factory=_new_id)
    source_message_id: Id | None = None
    game_id: Id | None = None
    actor_id: Id | None = None
    actor_name: Name | None = None
    character_id: Id | None = None  # Core's character id, when the roller plays one
    character_name: Name | None = None
    label: Text | None = None
    visibility: Visibility = Visibility.PUBLIC
    crit: bool = False
    fumble: bool = False
    raw: Any = None

    def __post_init__(self) -> None:
        check_json(self.raw, "raw")
