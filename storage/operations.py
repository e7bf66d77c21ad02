"""Every operation of Core's HTTP API, declared once: the table its OpenAPI spec is built from.

Each row names the path and method a Starlette route serves, the contract type
its body is decoded with (`core_client.contract.writes`, `events`), the
contract type its answer is checked against (`answers`, `receipts`), the
statuses it can answer and the role of the key it needs. `storage.openapi`
turns the table into the served `GET /openapi.json` with msgspec's JSON
Schema of those very types, so the spec is the code's own declarations; a
test holds the table and the app's routes equal both ways, and schemathesis
checks the answers against it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from core_client.contract import answers, writes
from core_client.contract.enums import EventType
from core_client.contract.events import Delivery
from core_client.contract.receipts import DeliveryReceipt
from storage.routes.campaigns import MAX_CONTEXT_ROLLS
from storage.routes.responses import DEFAULT_PAGE, MAX_PAGE
from storage.stats import GROUP_COLUMNS


class Role(enum.Enum):
    """Who may call an operation: the key (or signature) it needs."""

    PUBLIC = "public"  # no credential
    QUERY = "query"  # a service key (every campaign) or a scoped key (its campaigns)
    SERVICE = "service"  # a service key only; a scoped key gets 403
    ADMIN = "admin"  # the configured service key or an issued admin key (storage.apikeys)
    SIGNED = "signed"  # a webhook signed with one of the signing secrets


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter, with its JSON Schema."""

    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False
    example: Any = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One route of Core: what it takes, what it answers, who may call it."""

    method: str
    path: str
    summary: str
    role: Role
    answer: type | None = None  # None: a free-form JSON object
    status: int = 200
    body: type | None = None
    body_example: Any = None
    params: tuple[Param, ...] = ()
    path_params: tuple[Param, ...] = ()  # those not plain (`{id}` is a UUID)
    refusals: tuple[int, ...] = ()
    media_type: str = "application/json"


def _limit(default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> Param:
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return Param("limit", schema, f"Page size, 1 to {maximum}.")


_UUID = {"type": "string", "format": "uuid"}
_TEXT = {"type": "string"}
_TIME = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "pattern": r"^[0-9]{1,11}(\.[0-9]{1,6})?$"},
    ],
    "description": "ISO 8601 (naive is UTC) or Unix seconds",
}
CURSOR = Param("cursor", _TEXT, "The `next_cursor` of the previous page.")
SINCE = Param("since", _TIME, "From this moment (inclusive).")
UNTIL = Param("until", _TIME, "Before this moment.")
ROLL_FILTER = (
    Param("campaign_id", _UUID, "Only this campaign's rolls."),
    Param("user_id", _UUID, "Only this user's rolls."),
    Param("character_id", _UUID, "Only this character's rolls."),
    Param("session_id", _UUID, "Only this session's rolls."),
    Param("actor_id", _TEXT, "Only this actor's rolls (a Discord id)."),
    SINCE,
    UNTIL,
)
GROUP_BY = Param("group_by", {"type": "string", "enum": sorted(GROUP_COLUMNS)}, "Group by this.")

# One roll reported by the bot: what a webhook delivery looks like.
DELIVERY_EXAMPLE = {
    "events": [
        {
            "id": "evt_3f1c2b9e",
            "type": EventType.ROLL_RECORDED.value,
            "occurred_at": 1732245120.0,
            "data": {
                "platform": "discord",
                "campaign_id": "guild:123",
                "formula": "1d20",
                "total": 12,
                "groups": [
                    {
                        "notation": "1d20",
                        "sides": 20,
                        "subtotal": 12,
                        "dice": [{"sides": 20, "value": 12}],
                    }
                ],
                "actor_id": "187654321098765432",
            },
        }
    ]
}

# The refusals every kind of route can make (each route adds its own).
READ = (401, 404, 503)
QUERY = (400, 401, 503)
WRITE = (400, 401, 404, 409, 413, 415, 422, 503)


def _entity(name: str, path: str, shape: type, new: type | None, patch: type) -> list[Operation]:
    """The read and patch of an entity by id, and its create under a campaign."""
    ops = [
        Operation("GET", f"/{path}/{{id}}", f"Read a {name}", Role.QUERY, shape, refusals=READ),
        Operation(
            "PATCH",
            f"/{path}/{{id}}",
            f"Update a {name} at the version you read (409 `version_conflict` otherwise)",
            Role.QUERY,
            shape,
            body=patch,
            refusals=WRITE,
        ),
    ]
    if new is not None:
        create = Operation(
            "POST",
            f"/campaigns/{{id}}/{path}",
            f"Create a {name} in a campaign",
            Role.QUERY,
            shape,
            status=201,
            body=new,
            refusals=WRITE,
        )
        ops.insert(0, create)
    return ops


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/health",
        "Database reachable, writable and migrated",
        Role.PUBLIC,
        answers.HealthReport,
        refusals=(503,),
    ),
    Operation("GET", "/metrics", "Prometheus metrics", Role.PUBLIC, str, media_type="text/plain"),
    Operation("GET", "/openapi.json", "This document", Role.PUBLIC),
    Operation(
        "POST",
        "/webhooks",
        "Deliver signed events; each is stored once",
        Role.SIGNED,
        DeliveryReceipt,
        body=Delivery,
        body_example=DELIVERY_EXAMPLE,
        # Malformed JSON under a good signature is a 422 (`invalid_body`), not a 400.
        refusals=(401, 413, 415, 422, 503),
    ),
    Operation(
        "POST",
        "/keys",
        "Issue an API key (answered once, stored only as its SHA-256)",
        Role.ADMIN,
        answers.IssuedApiKey,
        status=201,
        body=writes.NewApiKey,
        body_example={"role": "query", "label": "stream tools"},
        refusals=(400, 401, 403, 413, 415, 422, 503),
    ),
    Operation(
        "GET",
        "/keys",
        "List the keys Core issued",
        Role.ADMIN,
        answers.ApiKeyList,
        refusals=(401, 403, 503),
    ),
    Operation(
        "DELETE",
        "/keys/{id}",
        "Revoke an issued key at once",
        Role.ADMIN,
        answers.ApiKeyInfo,
        refusals=(401, 403, 404, 503),
    ),
    Operation(
        "GET",
        "/campaigns",
        "List the campaigns the key sees",
        Role.QUERY,
        answers.CampaignPage,
        params=(
            _limit(),
            CURSOR,
            Param("key", _TEXT, "Only the campaign with this external key."),
            Param("guild_id", _TEXT, "Only this Discord guild's campaigns."),
            Param("archived", {"type": "string", "enum": ["true", "false"]}, "Include archived."),
        ),
        refusals=QUERY,
    ),
    Operation(
        "POST",
        "/campaigns",
        "Create a campaign",
        Role.SERVICE,
        answers.CampaignDict,
        status=201,
        body=writes.NewCampaign,
        refusals=(400, 401, 403, 409, 413, 415, 422, 503),
    ),
    Operation(
        "GET",
        "/campaigns/{id}",
        "Read a campaign",
        Role.QUERY,
        answers.CampaignDict,
        refusals=READ,
    ),
    Operation(
        "PATCH",
        "/campaigns/{id}",
        "Update a campaign at the version you read",
        Role.QUERY,
        answers.CampaignDict,
        body=writes.CampaignPatch,
        refusals=WRITE,
    ),
    Operation(
        "GET",
        "/campaigns/{id}/context",
        "What the AI reads of a campaign",
        Role.QUERY,
        answers.CampaignContext,
        params=(_limit(20, MAX_CONTEXT_ROLLS),),
        refusals=(400, *READ),
    ),
    Operation(
        "GET",
        "/campaigns/{id}/crit-rules",
        "The crit rules in force",
        Role.QUERY,
        answers.CritRules,
        refusals=READ,
    ),
    Operation(
        "PUT",
        "/campaigns/{id}/crit-rules/presets/{preset}",
        "Switch a preset on or off",
        Role.QUERY,
        answers.CritRuleDict,
        body=writes.PresetSwitch,
        path_params=(
            Param("preset", {"type": "string"}, "A preset's key, e.g. `nat20`.", example="nat20"),
        ),
        refusals=WRITE,
    ),
    *_entity(
        "character",
        "characters",
        answers.CharacterDict,
        writes.NewCharacter,
        writes.CharacterPatch,
    ),
    *_entity(
        "game link",
        "game-links",
        answers.GameLinkDict,
        writes.GameLinkFields,
        writes.GameLinkPatch,
    ),
    Operation(
        "GET",
        "/game-links",
        "List live game links",
        Role.QUERY,
        answers.GameLinkList,
        params=(
            Param("discord_channel_id", _TEXT, "Only this channel's links."),
            Param("campaign_id", _TEXT, "Only this campaign's links."),
        ),
        refusals=READ,
    ),
    *_entity("session", "sessions", answers.SessionDict, writes.SessionFields, writes.SessionPatch),
    Operation(
        "GET",
        "/campaigns/{id}/sessions",
        "List a campaign's sessions, newest first",
        Role.QUERY,
        answers.SessionList,
        params=(_limit(10, 100),),
        refusals=(400, *READ),
    ),
    Operation(
        "GET",
        "/rolls",
        "Roll history, newest first",
        Role.QUERY,
        answers.RollPage,
        params=(_limit(), CURSOR, *ROLL_FILTER),
        refusals=QUERY,
    ),
    Operation(
        "GET",
        "/rolls/stats",
        "Roll statistics",
        Role.QUERY,
        answers.StatsAnswer,
        params=(*ROLL_FILTER, GROUP_BY),
        refusals=QUERY,
    ),
    Operation(
        "GET",
        "/changes",
        "What changed after a cursor, oldest first",
        Role.QUERY,
        answers.ChangePage,
        params=(_limit(100), Param("since", _TEXT, "The `next_cursor` of the last page.")),
        refusals=QUERY,
    ),
    Operation(
        "GET",
        "/chat",
        "Chat history, oldest first",
        Role.QUERY,
        answers.ChatPage,
        params=(_limit(), CURSOR, Param("campaign_id", _UUID, "Only this campaign."), SINCE, UNTIL),
        refusals=QUERY,
    ),
    Operation(
        "GET",
        "/ai/usage",
        "AI tokens spent by a user and a guild",
        Role.SERVICE,
        answers.UsageTotals,
        params=(
            Param("since", _TIME, "From this moment.", required=True),
            Param("user_discord_id", _TEXT, "The user's tokens."),
            Param("guild_id", _TEXT, "The guild's tokens."),
        ),
        refusals=(400, 401, 403, 503),
    ),
)
