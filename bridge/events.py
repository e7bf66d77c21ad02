"""The bus topics and event shapes the bridge and the bot share.

Topics
------
- `game:<campaign_id>:<game_id>` (`game_topic`): everything about one game, in
  both directions. The bridge publishes what VTT extensions post; the bot
  subscribes to relay it to the game's Discord channel, and publishes the
  channel's messages and rolls for the extensions.
- `bridge:control` (`CONTROL_TOPIC`): bridge-internal signals; today only
  `token.revoked` (`{"token_id"}`), which every bridge instance answers by
  closing that token's open streams.

Event types (`BusEvent.type`) and their `data`
----------------------------------------------
The shapes are declared once in `core_client.contract.bus` (`GameEvent`,
`TokenRevoked`); the helpers here build them. Every game event's data has
the same envelope::

    {"campaign_id": str, "game_id": str,
     "origin": {"platform": "roll20" | "foundry" | "dndbeyond" | "beyond20"
                           | "owlbear" | "discord" | "bridge",
                "user_id": str | None, "user_name": str | None,
                "client_id": str | None,     # the posting token's id
                "source_id": str | None},    # the VTT's or Discord's message id
     "audience": {"gm_only": bool, "users": [str] | None},
     ...one body key below...}

- `roll`: `"roll"` is a standard roll record (`RollRecord`). VTT rolls
  have their VTT as origin platform; Discord rolls `discord`; server-side rolls
  (`POST /vtt/roll`) `bridge`, with `"authoritative": true`.
- `chat`: `"chat": {"speaker": str, "text": str}`.
- `link`: `"link": {"action": "linked" | "unlinked", "user_id", "user_name",
  "platform", "player_id"}`, with origin platform `bridge`.

Who sees what (`visible_to`)
----------------------------
- Never the client that posted it (`origin.client_id`), and never a client on
  the origin's own platform: that VTT already shows it natively, so relaying
  it back would duplicate it (and, for chat, loop).
- `audience.gm_only` (visibility `gm`: Foundry blind rolls, GM-only chat):
  only GMs and the roller.
- `audience.users` (visibility `private`: whispers, Roll20 `gmrollresult`,
  hidden Owlbear rolls; the rule is in `bridge.formats`): only GMs, the
  roller and those users, none when the list is empty.
The bot reads with `Viewer(platform="discord", gm=True)` and decides itself
where a GM-only event goes in Discord.

Echo loops are also stopped at the door: an item posted with `echo_of` naming
a bus event id is acknowledged and dropped, and a VTT message id seen once in
a game is not published again (`dedup_key`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core_client import Platform, RollRecord, Visibility
from core_client.contract import codec
from core_client.contract.bus import (
    Audience,
    BusType,
    ChatLine,
    GameEvent,
    LinkAction,
    LinkChange,
    Origin,
    TokenRevoked,
)

CONTROL_TOPIC = "bridge:control"
ROLL = BusType.ROLL
CHAT = BusType.CHAT
LINK = BusType.LINK
TOKEN_REVOKED = BusType.TOKEN_REVOKED
GAME_EVENT_TYPES = (ROLL, CHAT, LINK)

__all__ = ["LinkAction", "LinkChange", "Origin", "TokenRevoked"]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who reads a stream: a linked extension, or the bot."""

    platform: str
    user_id: str | None = None
    gm: bool = False
    client_id: str | None = None


def game_topic(campaign_id: str, game_id: str) -> str:
    """Return the bus topic of one game."""
    return f"game:{campaign_id}:{game_id}"


def audience(visibility: Visibility, whisper_to: Sequence[str] = ()) -> Audience:
    """Return the audience of a roll or message of this visibility."""
    if visibility is Visibility.GM:
        return Audience(gm_only=True)
    if visibility is Visibility.PRIVATE or whisper_to:
        return Audience(users=tuple(whisper_to))
    return Audience()


def roll_event(
    record: RollRecord, origin: Origin, *, game_id: str, authoritative: bool = False
) -> dict[str, Any]:
    """Return the data of a `roll` event."""
    event = GameEvent(
        record.campaign_id,
        game_id,
        origin,
        audience(record.visibility),
        roll=record,
        authoritative=authoritative,
    )
    return codec.to_builtins(event)  # type: ignore[no-any-return]


def chat_event(
    campaign_id: str,
    game_id: str,
    origin: Origin,
    *,
    speaker: str,
    text: str,
    whisper_to: Sequence[str] = (),
    gm_only: bool = False,
) -> dict[str, Any]:
    """Return the data of a `chat` event."""
    visibility = Visibility.GM if gm_only else Visibility.PUBLIC
    aud = audience(visibility, whisper_to)
    event = GameEvent(campaign_id, game_id, origin, aud, chat=ChatLine(speaker, text))
    return codec.to_builtins(event)  # type: ignore[no-any-return]


def link_event(campaign_id: str, game_id: str, change: LinkChange) -> dict[str, Any]:
    """Return the data of a `link` event (linked or unlinked)."""
    origin = Origin(Platform.BRIDGE)
    event = GameEvent(campaign_id, game_id, origin, Audience(), link=change)
    return codec.to_builtins(event)  # type: ignore[no-any-return]


def token_revoked(token_id: str) -> dict[str, Any]:
    """Return the data of a `token.revoked` control event."""
    return codec.to_builtins(TokenRevoked(token_id))  # type: ignore[no-any-return]


def game_event(data: Mapping[str, Any]) -> GameEvent:
    """Read a game event's data through its declaration (RecordError if malformed)."""
    return codec.decode(data, GameEvent)


def visible_to(data: Mapping[str, Any], viewer: Viewer) -> bool:
    """Return whether a game event should reach this viewer."""
    # Runs once per event per subscriber: it reads the plain data (built from
    # a GameEvent by the helpers above) instead of decoding it each time.
    origin = _part(data, "origin")
    if viewer.client_id is not None and origin.get("client_id") == viewer.client_id:
        return False
    if origin.get("platform") == viewer.platform:
        return False
    if viewer.gm or (viewer.user_id is not None and origin.get("user_id") == viewer.user_id):
        return True
    aud = _part(data, "audience")
    if aud.get("gm_only"):
        return False
    users = aud.get("users")
    return users is None or viewer.user_id in users


def dedup_key(campaign_id: str, game_id: str, platform: str, source_id: str) -> str:
    """Return the store key marking a VTT message as already published."""
    return f"seen:{campaign_id}:{game_id}:{platform}:{source_id}"


def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    # `type(...) is dict` first: the ABC check costs more than the rest of the
    # rule, which runs once per event per stream.
    return value if type(value) is dict or isinstance(value, Mapping) else {}
