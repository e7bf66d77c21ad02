"""The events bot and bridge exchange over the bridge's bus, declared once.

A `BusEvent` is what a subscriber receives: its `data` is plain JSON as it
crossed Redis or the process, and is read through the Struct of its `type`
(`GameEvent` for `roll`, `chat` and `link`, `TokenRevoked` on the control
topic) with `codec.decode`. Publishers build the same Structs and publish
`codec.to_builtins` of them, so both sides read one declaration. Optional
parts of a game event are omitted when unset, keeping the SSE frames small.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from core_client.contract import codec
from core_client.contract.enums import BusType, LinkAction, Platform
from core_client.contract.rolls import RollRecord
from core_client.contract.scalars import Id, LongText, Name, UnixTime

MAX_AUDIENCE = 50

__all__ = ["BusType", "LinkAction"]


class BusEvent(msgspec.Struct, frozen=True):
    """One event as subscribers see it; `id` doubles as the SSE event id."""

    id: str
    topic: str
    type: str
    data: dict[str, Any]
    origin: str | None = None
    at: UnixTime = 0.0  # Unix seconds when published

    def json(self) -> str:
        """Return the event's data as compact JSON."""
        return codec.encode(self.data).decode()


class BusEntry(msgspec.Struct, frozen=True):
    """A bus event as the Redis backend stores it in a stream entry."""

    type: str
    data: dict[str, Any]
    at: UnixTime
    origin: str | None = None


class Origin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where a game event came from."""

    platform: Platform
    user_id: Id | None = None
    user_name: Name | None = None
    client_id: Id | None = None  # the posting token's id
    source_id: Id | None = None  # the VTT's or Discord's message id


class Audience(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who may see a game event beyond its GMs and its author."""

    gm_only: bool = False
    users: Annotated[tuple[Id, ...], msgspec.Meta(max_length=MAX_AUDIENCE)] | None = None


class ChatLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of a `chat` event."""

    speaker: Name
    text: LongText


class LinkChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of a `link` event."""

    action: LinkAction
    user_id: Id
    platform: Platform
    player_id: Id
    token_id: Id
    user_name: Name | None = None


class GameEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The data of every game event: its envelope and one body."""

    campaign_id: Id
    game_id: Id
    origin: Origin
    audience: Audience
    roll: RollRecord | None = None
    chat: ChatLine | None = None
    link: LinkChange | None = None
    authoritative: bool = False  # rolled by the bridge itself (`POST /vtt/roll`)


class TokenRevoked(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The data of a `token.revoked` control event."""

    token_id: Id
