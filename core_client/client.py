"""The typed async client for Core.

It signs every delivery in the Standard Webhooks style and translates httpx2's
errors into `DeliveryError` at this boundary, marking which failures are worth
a retry. Queries and writes go through the API key and translate Core's JSON
errors into `ApiError` subclasses (`NotFoundError`, `ConflictError`, ...).
The httpx2 client is injected so tests and the composition root decide its
transport and lifetime.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar, Unpack

import httpx2
import msgspec

from core_client import signing
from core_client.contract import codec
from core_client.contract.answers import (
    CampaignContext,
    CampaignDict,
    CampaignPage,
    ChangePage,
    CharacterDict,
    ChatPage,
    CritRuleDict,
    CritRules,
    GameLinkDict,
    GameLinkList,
    RollPage,
    SessionDict,
    SessionList,
    StatsAnswer,
    UsageTotals,
)
from core_client.contract.events import Event, encode_delivery
from core_client.contract.receipts import DeliveryReceipt, RefusedBody, RefusedEvent
from core_client.contract.writes import (
    CampaignFields,
    CharacterFields,
    GameLinkFields,
    NewCampaign,
    NewCharacter,
    RollQuery,
    SessionFields,
)
from core_client.critrules import Rule
from core_client.errors import (
    ApiError,
    AuthError,
    ConflictError,
    CoreClientError,
    DeliveryError,
    DeliveryFailure,
    NotFoundError,
    RecordError,
)
from core_client.web.errors import ErrorBody, ErrorDetail

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks"
# Only these say the events are bad; any other refusal is about the sender
# (its key, its URL) or Core, and resending the same events later can succeed.
INVALID_STATUSES = frozenset({400, 413, 422})
THROTTLED_STATUSES = frozenset({408, 425, 429})
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
T = TypeVar("T")


class CoreClient:
    """Talk to Core over HTTP: signed event deliveries and queries."""

    def __init__(
        self,
        base_url: str,
        http: httpx2.AsyncClient,
        *,
        signing_secrets: Sequence[str],
        api_key: str | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = http
        self._secrets = tuple(signing_secrets)
        self._api_key = api_key

    async def deliver(self, events: Sequence[Event]) -> DeliveryReceipt:
        """Deliver events in one signed request; return Core's receipt.

        Raise `DeliveryError` whose `failure` says whether the events are at
        fault (INVALID) or the sender, Core or the network (everything else).
        """
        body = encode_delivery(events)
        headers = signing.sign(self._secrets, delivery_id(events), body).as_dict()
        headers["content-type"] = "application/json"
        try:
            response = await self._http.post(
                self._base_url + WEBHOOK_PATH, content=body, headers=headers
            )
        except httpx2.HTTPError as exc:
            raise DeliveryError(f"Core is unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _delivery_error(response)
        try:
            return _decoded(response, DeliveryReceipt)
        except CoreClientError as exc:
            # Never take an unreadable answer for "stored": resending is harmless.
            raise DeliveryError(
                f"Core's receipt is unreadable: {exc}",
                status=response.status_code,
                failure=DeliveryFailure.BROKEN,
            ) from exc

    async def health(self) -> dict[str, Any]:
        """Return Core's health report."""
        try:
            response = await self._http.get(self._base_url + "/health")
        except httpx2.HTTPError as exc:
            raise DeliveryError(f"Core is unreachable: {type(exc).__name__}") from exc
        return _decoded(response, dict[str, Any])

    # -- the query API ---------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        answer: type[T],
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> T:
        if self._api_key is None:
            raise CoreClientError("no API key is configured for Core's query API")
        headers = {"authorization": f"Bearer {self._api_key}"}
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._http.request(
                method, self._base_url + path, params=query, json=body, headers=headers
            )
        except httpx2.HTTPError as exc:
            raise DeliveryError(f"Core is unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return _decoded(response, answer)

    async def list_campaigns(
        self,
        *,
        key: str | None = None,
        guild_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CampaignPage:
        """Return a page of the campaigns this key sees, by external key or guild."""
        params = {"key": key, "guild_id": guild_id, "limit": limit, "cursor": cursor}
        return await self._call("GET", "/campaigns", params=params, answer=CampaignPage)

    async def campaign_by_key(self, key: str) -> CampaignDict | None:
        """Return the campaign with an external key (e.g. "guild:123"), if visible."""
        page = await self.list_campaigns(key=key, limit=1)
        return page["campaigns"][0] if page["campaigns"] else None

    async def create_campaign(self, **fields: Unpack[NewCampaign]) -> CampaignDict:
        """Create a campaign (service keys only)."""
        return await self._call("POST", "/campaigns", body=dict(fields), answer=CampaignDict)

    async def get_campaign(self, campaign_id: str) -> CampaignDict:
        """Return one campaign."""
        return await self._call("GET", f"/campaigns/{_id(campaign_id)}", answer=CampaignDict)

    async def update_campaign(
        self, campaign_id: str, version: int, **fields: Unpack[CampaignFields]
    ) -> CampaignDict:
        """Change a campaign seen at `version`; ConflictError if it moved on."""
        body = {"version": version, **fields}
        return await self._call(
            "PATCH", f"/campaigns/{_id(campaign_id)}", body=body, answer=CampaignDict
        )

    async def campaign_context(
        self, campaign_id: str, *, recent_rolls: int = 20, sheets: bool = True
    ) -> CampaignContext:
        """Return a campaign, its characters, recent rolls, open session and notes.

        With `sheets=False` the characters' exported sheets (`source_json` and
        the VTT columns) are null: their summaries say what the bot needs.
        """
        path = f"/campaigns/{_id(campaign_id)}/context"
        params = {"limit": recent_rolls, "sheets": int(sheets)}
        return await self._call("GET", path, params=params, answer=CampaignContext)

    async def create_character(
        self, campaign_id: str, **fields: Unpack[NewCharacter]
    ) -> CharacterDict:
        """Create a character in a campaign."""
        path = f"/campaigns/{_id(campaign_id)}/characters"
        return await self._call("POST", path, body=dict(fields), answer=CharacterDict)

    async def get_character(self, character_id: str) -> CharacterDict:
        """Return one character."""
        return await self._call("GET", f"/characters/{_id(character_id)}", answer=CharacterDict)

    async def update_character(
        self, character_id: str, version: int, **fields: Unpack[CharacterFields]
    ) -> CharacterDict:
        """Change a character seen at `version`."""
        body = {"version": version, **fields}
        return await self._call(
            "PATCH", f"/characters/{_id(character_id)}", body=body, answer=CharacterDict
        )

    async def create_game_link(
        self, campaign_id: str, **fields: Unpack[GameLinkFields]
    ) -> GameLinkDict:
        """Link a campaign to a Discord channel and/or a VTT game."""
        path = f"/campaigns/{_id(campaign_id)}/game-links"
        return await self._call("POST", path, body=dict(fields), answer=GameLinkDict)

    async def game_links(
        self, *, discord_channel_id: str | None = None, campaign_id: str | None = None
    ) -> list[GameLinkDict]:
        """Return the live game links of a Discord channel or a campaign."""
        params = {"discord_channel_id": discord_channel_id, "campaign_id": campaign_id}
        answer = await self._call("GET", "/game-links", params=params, answer=GameLinkList)
        return answer["game_links"]

    async def update_game_link(
        self, link_id: str, version: int, **fields: Unpack[GameLinkFields]
    ) -> GameLinkDict:
        """Change a game link seen at `version`."""
        body = {"version": version, **fields}
        return await self._call(
            "PATCH", f"/game-links/{_id(link_id)}", body=body, answer=GameLinkDict
        )

    async def start_session(self, campaign_id: str, **fields: Unpack[SessionFields]) -> SessionDict:
        """Open a game session in a campaign."""
        path = f"/campaigns/{_id(campaign_id)}/sessions"
        return await self._call("POST", path, body=dict(fields), answer=SessionDict)

    async def sessions(self, campaign_id: str, *, limit: int = 10) -> list[SessionDict]:
        """Return a campaign's sessions, newest first."""
        path = f"/campaigns/{_id(campaign_id)}/sessions"
        answer = await self._call("GET", path, params={"limit": limit}, answer=SessionList)
        return answer["sessions"]

    async def update_session(
        self, session_id: str, version: int, **fields: Unpack[SessionFields]
    ) -> SessionDict:
        """Change a session seen at `version` (end it with `ended_at`)."""
        body = {"version": version, **fields}
        return await self._call(
            "PATCH", f"/sessions/{_id(session_id)}", body=body, answer=SessionDict
        )

    async def add_session_note(
        self, session_id: str, version: int, text: str, *, author: str | None = None
    ) -> SessionDict:
        """Append a note to a session seen at `version`."""
        body = {"version": version, "add_note": {"text": text, "author": author}}
        return await self._call(
            "PATCH", f"/sessions/{_id(session_id)}", body=body, answer=SessionDict
        )

    async def rolls(
        self, *, limit: int | None = None, cursor: str | None = None, **query: Unpack[RollQuery]
    ) -> RollPage:
        """Return a page of rolls, newest first; pass `next_cursor` for the next page."""
        params = {"limit": limit, "cursor": cursor, **query}
        return await self._call("GET", "/rolls", params=params, answer=RollPage)

    async def roll_stats(
        self, *, group_by: str | None = None, **query: Unpack[RollQuery]
    ) -> StatsAnswer:
        """Return roll statistics (group_by: user, character or campaign)."""
        params = {"group_by": group_by, **query}
        return await self._call("GET", "/rolls/stats", params=params, answer=StatsAnswer)

    async def chat(
        self,
        campaign_id: str | None = None,
        *,
        since: str | float | None = None,
        until: str | float | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> ChatPage:
        """Return chat sent in [since, until) (ISO 8601 or Unix seconds), oldest first."""
        window = {"since": since, "until": until}
        params = {"campaign_id": campaign_id, **window, "limit": limit, "cursor": cursor}
        return await self._call("GET", "/chat", params=params, answer=ChatPage)

    async def usage_totals(
        self, since: float, *, user_discord_id: str | None = None, guild_id: str | None = None
    ) -> UsageTotals:
        """Return the AI tokens a Discord user and a guild used since `since` (Unix seconds)."""
        params = {"since": since, "user_discord_id": user_discord_id, "guild_id": guild_id}
        return await self._call("GET", "/ai/usage", params=params, answer=UsageTotals)

    async def changes(self, since: str | None = None, *, limit: int | None = None) -> ChangePage:
        """Return what changed after cursor `since`, and the cursor to resume from."""
        params = {"since": since, "limit": limit}
        return await self._call("GET", "/changes", params=params, answer=ChangePage)

    async def crit_rules(self, campaign_id: str) -> CritRules:
        """Return a campaign's crit rule presets, its own rules, and the keys in force."""
        return await self._call(
            "GET", f"/campaigns/{_id(campaign_id)}/crit-rules", answer=CritRules
        )

    async def rules_in_force(self, campaign_id: str) -> list[Rule]:
        """Return the crit rules in force for a campaign, ready to evaluate."""
        path = f"/campaigns/{_id(campaign_id)}/crit-rules"
        answer = await self._call("GET", path, answer=CritRules)
        return answer["rules"]

    async def set_crit_preset(
        self, campaign_id: str, preset: str, *, enabled: bool
    ) -> CritRuleDict:
        """Switch a built-in crit rule preset on or off for a campaign."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", preset):
            raise NotFoundError("no such crit rule preset", status=404, code="not_found")
        path = f"/campaigns/{_id(campaign_id)}/crit-rules/presets/{preset}"
        return await self._call("PUT", path, body={"enabled": enabled}, answer=CritRuleDict)


def failure_of(status: int) -> DeliveryFailure:
    """Classify an HTTP refusal of a delivery."""
    if status in INVALID_STATUSES:
        return DeliveryFailure.INVALID
    if status in THROTTLED_STATUSES:
        return DeliveryFailure.THROTTLED
    if status in UNAVAILABLE_STATUSES:
        return DeliveryFailure.UNAVAILABLE
    if status >= 500:
        return DeliveryFailure.BROKEN
    if status in (401, 403):
        return DeliveryFailure.UNAUTHORIZED
    return DeliveryFailure.MISDIRECTED


def _delivery_error(response: httpx2.Response) -> DeliveryError:
    status = response.status_code
    failure = failure_of(status)
    refused: tuple[RefusedEvent, ...] = ()
    if failure is DeliveryFailure.INVALID:
        refused = _refused_in(response)
    return DeliveryError(
        f"Core refused the delivery with {status}: {_error_text(response)}",
        status=status,
        failure=failure,
        refused=refused,
    )


def _refused_in(response: httpx2.Response) -> tuple[RefusedEvent, ...]:
    """Return the per-event reasons of a 422 that refused every event, if Core gave them."""
    try:
        return codec.decode(response.content, RefusedBody).error.refused
    except RecordError:
        return ()  # an older Core, or an envelope error: the outbox bisects instead


def _api_error(response: httpx2.Response) -> ApiError:
    """Translate Core's JSON error (the one `ErrorBody` shape) into the matching exception."""
    try:
        err = msgspec.json.decode(response.content, type=ErrorBody).error
    except msgspec.DecodeError:  # not our shape: a proxy's page, say
        err = ErrorDetail(code="http_error", message=response.text[:200])
    status = response.status_code
    if status == 409 and err.code == "version_conflict":
        return ConflictError(
            err.message, status=status, code=err.code, current_version=err.current_version
        )
    kind = {401: AuthError, 403: AuthError, 404: NotFoundError}.get(status, ApiError)
    return kind(err.message, status=status, code=err.code, field=err.field)


def _id(value: str) -> str:
    """Return an entity id fit for a URL path, refusing anything but a UUID.

    Ids often come from user input (autocomplete is only a suggestion); a
    value such as "../game-links" must never reach another route of Core.
    """
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFoundError(
            "no such thing: the id is not a valid id", status=404, code="not_found"
        ) from None


def delivery_id(events: Sequence[Event]) -> str:
    """Return a webhook-id that is the same for every retry of the same events."""
    if len(events) == 1:
        return events[0].id
    digest = hashlib.sha256("\n".join(e.id for e in events).encode()).hexdigest()
    return f"batch_{digest[:32]}"


def _decoded(response: httpx2.Response, answer: type[T]) -> T:
    """Validate Core's answer against its declared shape; a mismatch is Core's bug."""
    try:
        return codec.decode(response.content, answer)
    except RecordError as exc:
        raise CoreClientError(
            f"Core answered {response.status_code} with an unexpected shape ({exc})"
        ) from exc


def _error_text(response: httpx2.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", data["error"]))[:200]
    return str(data)[:200]
