"""Every event payload round-trips through JSON and names its bad fields."""

from __future__ import annotations

import pytest

from core_client import (
    AiConversation,
    AiMessage,
    AiProvider,
    AiUsage,
    CampaignUpserted,
    CharacterUpserted,
    ChatMessage,
    GameLinkUpserted,
    Platform,
    RecordError,
    SessionEnded,
    SessionNote,
    SessionStarted,
    UserUpserted,
    VttAccountLinked,
    VttAccountRevoked,
    VttPlatform,
)
from core_client.contract import codec
from core_client.contract.events import EventType, decode_delivery, encode_delivery
from core_client.contract.payloads import PAYLOADS

SAMPLES = [
    ChatMessage("guild:1", Platform.ROLL20, "hi", channel_id="c", author_name="A"),
    AiUsage(AiProvider.ANTHROPIC, "claude", 10, 20, user_discord_id="1"),
    AiConversation("c1", AiProvider.OPENAI, "gpt", (AiMessage("user", "q"),), 1, 2),
    UserUpserted("1", "Alice"),
    VttAccountLinked("1", VttPlatform.OWLBEAR, "o1", credentials={"token": "t"}),
    VttAccountRevoked(VttPlatform.OWLBEAR, "o1"),
    SessionStarted("s1", "guild:1", title="One", participants=("1", "2"), started_at=1.0),
    SessionEnded("s1", 2.0),
    SessionNote("s1", "note", author="GM"),
    CharacterUpserted("Ireena", Platform.FOUNDRY, "a1", "guild:1", stats={"hp": 3}, foundry={}),
    CampaignUpserted("guild:1", "Strahd", guild_id="1", settings={"x": 1}),
    GameLinkUpserted("guild:1", "ch1", VttPlatform.ROLL20, "g1", sync_chat=False),
]


def test_every_event_type_has_a_sample() -> None:
    assert {s.event_type for s in SAMPLES} == set(EventType) - {EventType.ROLL_RECORDED}


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda p: type(p).__name__)
def test_payloads_round_trip_through_a_delivery(payload: object) -> None:
    event = payload.event()  # type: ignore[attr-defined]
    [decoded] = decode_delivery(encode_delivery([event]))
    again = codec.decode(decoded.data, PAYLOADS[decoded.type])
    assert again == payload
    assert codec.to_builtins(again) == codec.to_builtins(payload)


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        (EventType.CAMPAIGN_UPSERTED, {"key": "k", "name": "n", "settings": [1]}, "settings"),
        (EventType.CHARACTER_UPSERTED, {"name": "n", "source_platform": "x"}, "source_platform"),
        (
            EventType.AI_CONVERSATION,
            {"conversation_id": "c", "provider": "openai", "model": "m"},
            "messages",
        ),
        (
            EventType.SESSION_STARTED,
            {"session_id": "s", "campaign_id": "c", "started_at": True},
            "started_at",
        ),
        (
            EventType.CHARACTER_UPSERTED,
            {"name": "n", "source_platform": "roll20", "source": "x" * 120_001},
            "source",
        ),
    ],
)
def test_bad_fields_are_named(kind: EventType, data: dict[str, object], field: str) -> None:

    with pytest.raises(RecordError) as info:
        codec.decode(data, PAYLOADS[kind])
    assert info.value.field == field
