"""The shapes of Core's query API answers, declared once.

Core's views are annotated with these shapes, and the SDK's client validates
every answer it receives against them (`codec.decode`), so a field Core stops
sending fails loudly at the client instead of deep inside the bot. They stay
TypedDicts, which msgspec validates, so callers keep reading `campaign["name"]`.
Timestamps are ISO 8601 strings in UTC; ids are UUID strings. `total=False`
marks answers whose optional keys depend on the request.
"""

from __future__ import annotations

from typing import Any, Required, TypedDict

import msgspec

from core_client.contract.enums import KeyRole
from core_client.contract.rules import Rule
from core_client.contract.summary import CharacterSummary


class CampaignDict(TypedDict):
    id: str
    external_key: str | None
    guild_id: str | None
    name: str
    settings: dict[str, Any]
    gm_user_id: str | None
    version: int
    archived_at: str | None
    created_at: str
    updated_at: str


class CharacterDict(TypedDict):
    id: str
    campaign_id: str | None
    owner_user_id: str | None
    name: str
    source_platform: str
    source_id: str | None
    source_json: Any
    roll20_json: Any
    foundry_json: Any
    owlbear_json: Any
    stats: dict[str, Any]
    summary: CharacterSummary | None  # derived by Core from the source JSON
    version: int
    archived_at: str | None
    created_at: str
    updated_at: str


class GameLinkDict(TypedDict):
    id: str
    campaign_id: str
    discord_channel_id: str | None
    platform: str | None
    vtt_game_id: str | None
    sync_chat: bool
    sync_rolls: bool
    version: int
    archived_at: str | None
    created_at: str
    updated_at: str


class NoteDict(TypedDict):
    at: str
    author: str | None
    text: str


class SessionDict(TypedDict):
    id: str
    external_key: str | None
    campaign_id: str | None
    campaign_key: str | None
    title: str | None
    started_at: str
    ended_at: str | None
    participants: list[str]
    notes: list[NoteDict]
    version: int
    archived_at: str | None
    created_at: str
    updated_at: str


class RollDict(TypedDict):
    id: str
    idempotency_key: str
    platform: str
    campaign_key: str
    campaign_id: str | None
    session_id: str | None
    user_id: str | None
    character_id: str | None
    game_id: str | None
    actor_id: str | None
    actor_name: str | None
    character_name: str | None
    formula: str
    total: float
    label: str | None
    visibility: str
    crit: bool
    fumble: bool
    crit_type: str | None
    groups: list[Any]
    raw: Any
    rolled_at: str
    source_message_id: str | None
    created_at: str
    updated_at: str


class RollPage(TypedDict):
    rolls: list[RollDict]
    next_cursor: str | None


class ChatMessageDict(TypedDict):
    id: str
    idempotency_key: str
    campaign_key: str
    campaign_id: str | None
    platform: str
    channel_id: str | None
    author_id: str | None
    author_name: str | None
    text: str
    sent_at: str
    created_at: str
    updated_at: str


class UsageTotals(TypedDict):
    """AI tokens used since a moment, by one Discord user and by one guild."""

    user_tokens: int
    guild_tokens: int


class ChatPage(TypedDict):
    chat: list[ChatMessageDict]
    next_cursor: str | None


class CampaignPage(TypedDict):
    campaigns: list[CampaignDict]
    next_cursor: str | None


class DiceStats(TypedDict):
    count: int
    mean: float | None
    expected_mean: float | None


class D20Stats(TypedDict):
    count: int
    mean: float | None
    expected_mean: float
    nat20: int
    nat1: int
    faces: list[int]
    chi_square: float | None
    dof: int
    p_value: float | None
    verdict: str


class RollStats(TypedDict):
    rolls: int
    crits: int
    fumbles: int
    dice: DiceStats
    d20: D20Stats


class StatsGroup(TypedDict, total=False):
    user_id: str | None
    character_id: str | None
    campaign_id: str | None
    stats: RollStats


class StatsAnswer(TypedDict, total=False):
    stats: RollStats
    truncated: bool
    groups: list[StatsGroup]


class CampaignContext(TypedDict):
    campaign: CampaignDict
    characters: list[CharacterDict]
    game_links: list[GameLinkDict]
    recent_rolls: list[RollDict]
    open_session: SessionDict | None
    last_session: SessionDict | None
    notes: list[NoteDict]


class ChangeDict(TypedDict):
    entity: str
    id: str
    version: int
    operation: str
    diff: dict[str, Any]
    campaign_id: str | None
    at: str


class ChangePage(TypedDict):
    changes: list[ChangeDict]
    next_cursor: str
    has_more: bool


class CritRuleDict(TypedDict):
    id: str
    campaign_id: str | None
    preset_key: str | None
    name: str
    dice: list[int]
    reads: str
    comparison: str
    threshold: int
    crit_type: str
    severity: int
    enabled: bool
    version: int
    archived_at: str | None
    created_at: str
    updated_at: str


class CritRules(TypedDict):
    presets: list[CritRuleDict]
    campaign_rules: list[CritRuleDict]
    in_force: list[str]
    rules: list[Rule]


class GameLinkList(TypedDict):
    game_links: list[GameLinkDict]


class SessionList(TypedDict):
    sessions: list[SessionDict]


class ApiKeyInfo(msgspec.Struct, kw_only=True):
    """An API key Core issued, as listed: never the key itself, which Core does not keep.

    `campaigns` are the ids the key sees; None means every campaign.
    """

    id: str
    role: KeyRole
    campaigns: list[str] | None
    label: str | None
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class IssuedApiKey(ApiKeyInfo, kw_only=True):
    """The answer to `POST /keys`: the key, shown this once, with what it may do."""

    key: str


class ApiKeyList(msgspec.Struct, kw_only=True):
    keys: list[ApiKeyInfo]


class HealthReport(TypedDict, total=False):
    """Core's `GET /health`: `ok` is false (and the status 503) when any check fails."""

    service: Required[str]
    ok: Required[bool]
    database: Required[str]  # "ok" or "unreachable"
    error: str  # the failure's type, when unreachable
    writable: bool
    revision: str | None
    head: str | None
    migrations_current: bool
