"""The writable fields of each entity in Core's query API (typed SDK keyword arguments)."""

from __future__ import annotations

from typing import Any, Required, TypedDict


class _CampaignBase(TypedDict, total=False):
    external_key: str | None
    guild_id: str | None
    settings: dict[str, Any]
    gm_user_id: str | None
    archived: bool


class CampaignFields(_CampaignBase, total=False):
    name: str


class NewCampaign(_CampaignBase, total=False):
    name: Required[str]


class _CharacterBase(TypedDict, total=False):
    owner_discord_id: str | None
    source_platform: str
    source_id: str | None
    source_json: Any
    roll20_json: Any
    foundry_json: Any
    owlbear_json: Any
    stats: dict[str, Any]
    archived: bool


class CharacterFields(_CharacterBase, total=False):
    name: str


class NewCharacter(_CharacterBase, total=False):
    name: Required[str]


class GameLinkFields(TypedDict, total=False):
    discord_channel_id: str | None
    platform: str | None
    vtt_game_id: str | None
    sync_chat: bool
    sync_rolls: bool
    archived: bool


class SessionFields(TypedDict, total=False):
    title: str | None
    participants: list[str]
    started_at: float | None
    ended_at: float | None
    archived: bool


class RollQuery(TypedDict, total=False):
    campaign_id: str
    user_id: str
    character_id: str
    session_id: str
    actor_id: str
    since: float | str
    until: float | str
