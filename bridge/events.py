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
Every game event's data has the same envelope::

    {"campaign_id": str, "game_id": str,
     "origin": {"platform": "roll20" | "foundry" | "dndbeyond" | "beyond20"
                           | "owlbear" | "discord" | "bridge",
                "user_id": str | None, "user_name": str | None,
                "client_id": str | None,     # the posting token's id
                "source_id": str | None},    # the VTT's or Discord's message id
     "audience": {"gm_only": bool, "users": [str] | None},
     ...one body key below...}

- `roll`: `"roll"` is a standard roll record (`RollRecord.to_dict()`). VTT rolls
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
- `audience.gm_only` (Roll20 `gmrollresult`, Foundry blind rolls, hidden
  Owlbear rolls): only GMs and the roller.
- `audience.users` (whispers): only GMs, the roller and those users.
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

from core_client import RollRecord, Visibility
from core_client.contract import codec

CONTROL_TOPIC = "bridge:control"
ROLL = "roll"
CHAT = "chat"
LINK = "link"
TOKEN_REVOKED = "token.revoked"
GAME_EVENT_TYPES = (ROLL, CHAT, LINK)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an event came from."""

    platform: str
    user_id: str | None = None
    user_name: str | None = None
    client_id: str | None = None
    source_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {
            "platform": self.platform,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "client_id": self.client_id,
            "source_id": self.source_id,
        }


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


def audience(visibility: Visibility, whisper_to: Sequence[str] = ()) -> dict[str, Any]:
    """Return the audience of a roll or message of this visibility."""
    if visibility is Visibility.GM:
        return {"gm_only": True, "users": None}
    if visibility is Visibility.PRIVATE or whisper_to:
        return {"gm_only": False, "users": list(whisper_to)}
    return {"gm_only": False, "users": None}


def roll_event(
    record: RollRecord, origin: Origin, *, game_id: str, authoritative: bool = False
) -> dict[str, Any]:
    """Return the data of a `roll` event."""
    data = _envelope(record.campaign_id, game_id, origin, audience(record.visibility))
    data["roll"] = codec.to_builtins(record)
    if authoritative:
        data["authoritative"] = True
    return data


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
    data = _envelope(campaign_id, game_id, origin, audience(visibility, whisper_to))
    data["chat"] = {"speaker": speaker, "text": text}
    return data


def link_event(
    campaign_id: str, game_id: str, action: str, link: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the data of a `link` event (linked or unlinked)."""
    data = _envelope(campaign_id, game_id, Origin("bridge"), audience(Visibility.PUBLIC))
    data["link"] = {"action": action, **link}
    return data


def visible_to(data: Mapping[str, Any], viewer: Viewer) -> bool:
    """Return whether a game event should reach this viewer."""
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


def _envelope(
    campaign_id: str, game_id: str, origin: Origin, aud: dict[str, Any]
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "game_id": game_id,
        "origin": origin.to_dict(),
        "audience": aud,
    }


def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}
