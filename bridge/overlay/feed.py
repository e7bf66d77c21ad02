"""The overlay's SSE feed: a campaign's public rolls as cards, live and resumable.

It subscribes to the key's game topics on the bus, as an extension's stream
does, and lets through only `roll` events that `bridge.events.visible_to`
shows a viewer with no user and no GM role: the audience of a stream, so
private, whispered and GM-only rolls never appear. Each roll becomes an
`OverlayCard` under its bus id, so `Last-Event-ID` resumes the feed.

A browser's `EventSource` cannot see SSE comments, so the heartbeat here is
a `ping` event the page's watchdog can count. The stream is registered in
the `StreamRegistry` under the key's id: revoking the key publishes the same
control event as a revoked token, and every instance ends the feed with an
`overlay.revoked` event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from sse_starlette import ServerSentEvent

from bridge.bus import BusEvent, EventBus, SubscriberLaggingError
from bridge.events import CONTROL_TOPIC, ROLL, TOKEN_REVOKED, Viewer, game_topic, token_revoked
from bridge.events import visible_to as shown
from bridge.overlay.keys import OverlayKey
from bridge.overlay.verdicts import CritRuleCache, judge
from bridge.streams import StreamRegistry
from core_client import RecordError
from core_client.contract import codec
from core_client.contract.overlay import (
    OverlayCard,
    OverlayDie,
    OverlayEnded,
    OverlayHello,
)
from core_client.contract.rules import Rule

log = logging.getLogger(__name__)

# Who watches a stream: no Discord user, no GM, on no VTT.
AUDIENCE = Viewer(platform="overlay")
HELLO = "hello"
PING = "ping"
REVOKED = "overlay.revoked"


async def announce_revoked(bus: EventBus, key: OverlayKey) -> None:
    """Tell every bridge instance to end the feeds of a revoked key."""
    await bus.publish(CONTROL_TOPIC, TOKEN_REVOKED, token_revoked(key.key_id))


def card(event: BusEvent, rules: Sequence[Rule] | None) -> OverlayCard | None:
    """Return the card of a public roll event, or None for anything else."""
    if event.type != ROLL or not shown(event.data, AUDIENCE):
        return None
    roll = event.data.get("roll")
    if not isinstance(roll, Mapping):
        return None
    crit, fumble = judge(roll, rules)
    origin = event.data.get("origin")
    who = origin.get("user_name") if isinstance(origin, Mapping) else None
    try:
        return codec.decode(
            {
                "roll_id": roll.get("id"),
                "roller": roll.get("character_name") or roll.get("actor_name") or who or "Someone",
                "formula": roll.get("formula"),
                "total": roll.get("total"),
                "platform": roll.get("platform"),
                "groups": [_group(g) for g in roll.get("groups") or ()],
                "label": roll.get("label"),
                "crit": crit,
                "fumble": fumble,
                "at": event.at,
            },
            OverlayCard,
        )
    except (RecordError, TypeError, AttributeError) as exc:
        log.warning("a roll event %s could not be shown on the overlay: %s", event.id, exc)
        return None


def _group(group: Mapping[str, Any]) -> dict[str, Any]:
    dice = group.get("dice") or ()
    fields = OverlayDie.__struct_fields__
    return {
        "notation": group.get("notation"),
        "dice": [{k: d[k] for k in fields if k in d} for d in dice],
    }


def frame(event: str, data: object, event_id: str | None = None) -> bytes:
    """Return one SSE frame whose data is a contract Struct as JSON."""
    return ServerSentEvent(data=codec.encode(data).decode(), event=event, id=event_id).encode()


async def overlay_stream(
    bus: EventBus,
    registry: StreamRegistry,
    key: OverlayKey,
    rules: CritRuleCache,
    *,
    last_event_id: str | None,
    queue_size: int,
    retry_ms: int,
    heartbeat_ms: int,
    max_streams: int | None = None,
) -> AsyncIterator[bytes]:
    """Yield the SSE frames of a key's feed, resuming after `last_event_id`.

    As with `/vtt/stream`, the first frame comes once the feed
    is registered, or `TooManyStreamsError` for a key over `max_streams`.
    """
    topics = [game_topic(key.campaign_id, g) for g in key.games]
    async with bus.subscribe(topics, last_event_id=last_event_id, queue_size=queue_size) as sub:
        # As on /vtt/stream: a fresh feed's first frame carries where it joined.
        position = bus.position() if last_event_id is None else None
        registry.add(key.key_id, sub, limit=max_streams)
        if key.key_id in registry.revoked or registry.closing:
            sub.cancel()
        try:
            hello = ServerSentEvent(comment="connected", retry=retry_ms).encode()
            yield hello + frame(HELLO, OverlayHello(heartbeat_ms), position)
            while (events := await sub.batch()) is not None:
                if not events:
                    yield frame(PING, {})
                    continue
                rolls = [e for e in events if e.type == ROLL]
                found = await rules.rules(key.campaign_id) if rolls else None
                cards = [(e.id, card(e, found)) for e in rolls]
                out = [frame(ROLL, c, i) for i, c in cards if c is not None]
                if out:
                    yield b"".join(out)
            if key.key_id in registry.revoked:
                yield frame(REVOKED, OverlayEnded())
        except SubscriberLaggingError:
            log.warning("overlay feed %s fell behind; disconnecting so it resumes", key.key_id)
        finally:
            registry.discard(key.key_id, sub)
