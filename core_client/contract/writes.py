"""The bodies of writes to Core's query API, declared once.

They are TypedDicts (`total=False`: a PATCH names only what it changes), so
the SDK can take them as typed keyword arguments and Core decodes a request
body with the very same declaration (`read`), which also checks the
free-form JSON fields that a TypedDict cannot check itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Required, TypedDict, TypeVar

import msgspec

from core_client.contract import codec
from core_client.contract.enums import KeyRole, Platform, VttPlatform
from core_client.contract.scalars import (
    MAX_SHEET_BYTES,
    DiscordId,
    Id,
    LongText,
    Name,
    UnixTime,
    check_json,
    check_object,
)

T = TypeVar("T")

Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
Participants = Annotated[list[Id], msgspec.Meta(max_length=100)]
# Free-form JSON fields, and whether each must be an object.
JSON_FIELDS = {
    "settings": True,
    "stats": True,
    "source_json": False,
    "roll20_json": False,
    "foundry_json": False,
    "owlbear_json": False,
}


class _CampaignBase(TypedDict, total=False):
    external_key: Id | None
    guild_id: DiscordId | None
    settings: dict[str, Any] | None
    gm_user_id: Id | None
    archived: bool


class CampaignFields(_CampaignBase, total=False):
    name: Name


class NewCampaign(_CampaignBase, total=False):
    name: Required[Name]


class CampaignPatch(CampaignFields, total=False):
    version: Required[Version]


class _CharacterBase(TypedDict, total=False):
    owner_discord_id: DiscordId | None
    source_platform: Platform
    source_id: Id | None
    source_json: Any
    roll20_json: Any
    foundry_json: Any
    owlbear_json: Any
    stats: dict[str, Any] | None
    archived: bool


class CharacterFields(_CharacterBase, total=False):
    name: Name


class NewCharacter(_CharacterBase, total=False):
    name: Required[Name]


class CharacterPatch(CharacterFields, total=False):
    version: Required[Version]


class GameLinkFields(TypedDict, total=False):
    discord_channel_id: DiscordId | None
    platform: VttPlatform | None
    vtt_game_id: Id | None
    sync_chat: bool
    sync_rolls: bool
    archived: bool


class GameLinkPatch(GameLinkFields, total=False):
    version: Required[Version]


class SessionFields(TypedDict, total=False):
    title: Name | None
    participants: Participants
    started_at: UnixTime | None
    ended_at: UnixTime | None
    archived: bool


class NoteInput(TypedDict, total=False):
    text: Required[LongText]
    author: Name | None


class SessionPatch(SessionFields, total=False):
    version: Required[Version]
    add_note: NoteInput


class PresetSwitch(TypedDict, total=False):
    enabled: bool


# The campaigns one issued key sees, by id or external key.
KeyCampaigns = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]


class NewApiKey(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /keys`: the key to issue. No campaigns: every campaign (role `query`)."""

    role: KeyRole = KeyRole.QUERY
    campaigns: KeyCampaigns | None = None
    label: Name | None = None


class RollQuery(TypedDict, total=False):
    campaign_id: str
    user_id: str
    character_id: str
    session_id: str
    actor_id: str
    since: float | str
    until: float | str


def read(body: object, kind: type[T]) -> T:
    """Decode a write's body as `kind`, checking its free-form JSON; raise RecordError."""
    values = codec.decode(body, kind)
    assert isinstance(values, dict)  # every write body is a TypedDict
    for name, must_be_object in JSON_FIELDS.items():
        if values.get(name) is not None:
            check = check_object if must_be_object else check_json
            check(values[name], name, MAX_SHEET_BYTES)
    return values
