"""The intake: what happens to rolls and chat an extension posts.

Each item is checked against the token's games, dropped if it is an echo
(`echo_of`) or a VTT message already seen in that game, converted to standard
records, reported to Core and published on the game's topic. Items are
independent: one bad item gets its own error and the rest go through.

The work of one request is bounded: at most `max_server_rolls` expressions
rolled by the engine (`beyond20.roll` items) and `max_records` records
relayed; the items past either budget are rejected, the others accepted.
If Core cannot take a report (`CoreClientError`), the request fails (503) and
the dedup marks of what was not relayed are removed, so a retry goes through.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Any

import msgspec

from bridge.bus import EventBus
from bridge.errors import BridgeError, ForbiddenError, FormatError
from bridge.events import CHAT, ROLL, Origin, chat_event, dedup_key, game_topic, roll_event
from bridge.formats import SERVER_ROLLED, RollContext, convert
from bridge.formats.beyond20 import roll_request
from bridge.reports import report_chat, report_roll
from bridge.schemas import ChatRequest, RollItem, RollsRequest, ServerRollRequest
from bridge.store import StateStore
from bridge.tokens import Grant
from core_client import CoreClientError, Platform, Reporter, RollRecord, Visibility
from core_client.dice import BlockRandom, DiceError, Limits, roll
from core_client.dice_records import to_record

log = logging.getLogger(__name__)

MAX_SERVER_ROLLS = 50  # expressions the engine rolls for one request
MAX_RECORDS = 250  # records one request may relay


class ItemResult(msgspec.Struct, omit_defaults=True):
    """The outcome of one posted item, as the `/vtt` API answers it."""

    index: int
    status: str  # accepted | duplicate | echo | rejected
    events: list[dict[str, Any]] = msgspec.field(default_factory=list)
    error: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Intake:
    """Publishes what extensions post, once, and reports it to Core."""

    bus: EventBus
    store: StateStore
    reporter: Reporter
    dice_limits: Limits
    dedup_seconds: float = 900.0
    rng: random.Random = field(default_factory=BlockRandom)  # OS randomness, in blocks
    max_server_rolls: int = MAX_SERVER_ROLLS
    max_records: int = MAX_RECORDS

    async def post_rolls(self, grant: Grant, request: RollsRequest) -> list[ItemResult]:
        """Relay every roll item of a request; return one result per item."""
        check_game(grant, request.game_id)
        budget = _Budget(rolls=self.max_server_rolls, records=self.max_records)
        results = []
        for index, item in enumerate(request.items):
            await asyncio.sleep(0)  # let other requests run between items
            try:
                if isinstance(item, BridgeError):
                    raise item
                results.append(await self._roll_item(grant, request.game_id, index, item, budget))
            except BridgeError as exc:
                results.append(
                    ItemResult(index, "rejected", error=msgspec.to_builtins(exc.detail()))
                )
        return results

    async def post_chat(self, grant: Grant, request: ChatRequest) -> ItemResult:
        """Relay one chat message from a VTT."""
        check_game(grant, request.game_id)
        if request.echo_of is not None:
            return ItemResult(0, "echo")
        if not await self._first_sighting(grant, request.game_id, request.source_id):
            return ItemResult(0, "duplicate")
        try:
            return await self._chat(grant, request)
        except CoreClientError:
            await self._forget(grant, request.game_id, [request.source_id])
            raise

    async def _chat(self, grant: Grant, request: ChatRequest) -> ItemResult:
        origin = _origin(grant, request.source_id)
        speaker = request.speaker or grant.user_name or grant.player_id
        data = chat_event(
            grant.campaign_id,
            request.game_id,
            origin,
            speaker=speaker,
            text=request.text,
            whisper_to=request.whisper_to,
            gm_only=request.gm_only,
        )
        if not (request.whisper_to or request.gm_only):
            # Core's chat has no audience and feeds the channel's public /recap:
            # a whisper kept there would be read out to the whole table.
            await report_chat(self.reporter, grant, speaker=speaker, text=request.text)
        event = await self.bus.publish(game_topic(grant.campaign_id, request.game_id), CHAT, data)
        return ItemResult(0, "accepted", [{"event_id": event.id}])

    async def server_roll(self, grant: Grant, request: ServerRollRequest) -> ItemResult:
        """Roll notation with our engine, authoritatively, and relay the result."""
        check_game(grant, request.game_id)
        record = self._roll(
            grant, request.game_id, request.expression, request.label, request.visibility
        )
        return ItemResult(
            0, "accepted", [await self._publish(grant, request.game_id, record, True)]
        )

    async def _roll_item(
        self, grant: Grant, game_id: str, index: int, item: RollItem, budget: _Budget
    ) -> ItemResult:
        if item.echo_of is not None:
            return ItemResult(index, "echo")
        if item.format in SERVER_ROLLED:
            wanted = roll_request(item.payload)
            budget.spend(rolls=len(wanted.formulas), records=len(wanted.formulas))
            records = [
                self._roll(grant, game_id, formula, label, wanted.visibility)
                for label, formula in wanted.formulas
            ]
            return ItemResult(
                index, "accepted", [await self._publish(grant, game_id, r, True) for r in records]
            )
        ctx = RollContext(grant.campaign_id, game_id, grant.user_id, grant.user_name)
        records = convert(item.format, item.payload, ctx)
        budget.spend(records=len(records))
        fresh = [
            r for r in records if await self._first_sighting(grant, game_id, r.source_message_id)
        ]
        if not fresh:
            return ItemResult(index, "duplicate")
        events = []
        for i, r in enumerate(fresh):
            try:
                events.append(await self._publish(grant, game_id, r, False))
            except CoreClientError:
                await self._forget(grant, game_id, [u.source_message_id for u in fresh[i:]])
                raise
        return ItemResult(index, "accepted", events)

    def _roll(
        self, grant: Grant, game_id: str, expression: str, label: str | None, visibility: Visibility
    ) -> RollRecord:
        try:
            result = roll(expression, rng=self.rng, limits=self.dice_limits)
        except DiceError as exc:
            raise FormatError(str(exc), field="expression", code="invalid_expression") from None
        record = to_record(
            result,
            campaign_id=grant.campaign_id,
            actor_id=grant.user_id,
            actor_name=grant.user_name,
            label=label,
            visibility=visibility,
            platform=Platform.BRIDGE,
        )
        audit = {"expression": expression, "engine": "fumblebot", "rng": type(self.rng).__name__}
        return msgspec.structs.replace(
            record, game_id=game_id, raw={**audit, "token_id": grant.token_id}
        )

    async def _publish(
        self, grant: Grant, game_id: str, record: RollRecord, authoritative: bool
    ) -> dict[str, Any]:
        event = await report_roll(self.reporter, record)
        # A server roll reaches every extension of the game, the poster too.
        origin = (
            Origin(Platform.BRIDGE, grant.user_id, grant.user_name)
            if authoritative
            else _origin(grant, record.source_message_id)
        )
        data = roll_event(record, origin, game_id=game_id, authoritative=authoritative)
        topic = game_topic(grant.campaign_id, game_id)
        published = await self.bus.publish(topic, ROLL, data, origin=event.id)
        return {"event_id": published.id, "roll_id": record.id, "total": record.total}

    async def _first_sighting(self, grant: Grant, game_id: str, source_id: str | None) -> bool:
        if source_id is None:
            return True
        key = dedup_key(grant.campaign_id, game_id, grant.platform, source_id)
        return await self.store.add(key, "1", self.dedup_seconds)

    async def _forget(self, grant: Grant, game_id: str, source_ids: list[str | None]) -> None:
        """Remove dedup marks of messages that were not relayed, so a retry is not a duplicate."""
        for source_id in source_ids:
            if source_id is not None:
                key = dedup_key(grant.campaign_id, game_id, grant.platform, source_id)
                await self.store.delete(key)


@dataclass
class _Budget:
    """What is left of one request's work: engine rolls and relayed records."""

    rolls: int
    records: int

    def spend(self, *, rolls: int = 0, records: int) -> None:
        """Take an item's share, or reject the item when too little is left."""
        if rolls > self.rolls:
            raise FormatError(
                f"asks for {rolls} server rolls but only {self.rolls} are left for this"
                " request; send the rest in another request",
                field="payload",
                code="too_many_rolls",
            )
        if records > self.records:
            raise FormatError(
                f"has {records} rolls but only {self.records} are left for this request;"
                " send the rest in another request",
                field="payload",
                code="too_many_records",
            )
        self.rolls -= rolls
        self.records -= records


def check_game(grant: Grant, game_id: str) -> None:
    if not grant.may_see(game_id):
        raise ForbiddenError(
            "the token does not cover this game", field="game_id", code="game_not_linked"
        )


def _origin(grant: Grant, source_id: str | None) -> Origin:
    return Origin(
        Platform(grant.platform), grant.user_id, grant.user_name, grant.token_id, source_id
    )
