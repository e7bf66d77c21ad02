"""What the stream overlay's SSE feed carries (`GET /overlay/{key}/events`).

An overlay page in OBS shows rolls to an audience, so it gets a card cut
down from the roll record: who rolled, the label, every die with whether it
was kept, the total and the verdict. Ids of users, the raw VTT payload and
the audience never leave the bridge on this feed.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from core_client.contract.enums import Platform
from core_client.contract.rolls import MAX_DICE_PER_GROUP, MAX_GROUPS
from core_client.contract.scalars import DieValue, Id, Name, Sides, Text, Total, UnixTime

MAX_HEARTBEAT_MS = 600_000


class OverlayDie(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One die on a card; a dropped die is shown struck through."""

    value: DieValue
    sides: Sides
    kept: bool = True
    exploded: bool = False


class OverlayGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One dice term on a card, such as `2d20kh1`."""

    notation: Text
    dice: Annotated[tuple[OverlayDie, ...], msgspec.Meta(max_length=MAX_DICE_PER_GROUP)]


class OverlayCard(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A public roll as the overlay shows it (the SSE event `roll`)."""

    roll_id: Id
    roller: Name
    formula: Text
    total: Total
    platform: Platform
    groups: Annotated[tuple[OverlayGroup, ...], msgspec.Meta(max_length=MAX_GROUPS)] = ()
    label: Text | None = None
    crit: bool = False
    fumble: bool = False
    at: UnixTime = 0.0


class OverlayHello(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The first event of a feed (`hello`): how often to expect a `ping` event."""

    heartbeat_ms: Annotated[int, msgspec.Meta(ge=1000, le=MAX_HEARTBEAT_MS)]


class OverlayEnded(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The last event of a feed whose key was revoked (`overlay.revoked`)."""

    reason: Annotated[str, msgspec.Meta(max_length=64)] = "overlay_key_revoked"
