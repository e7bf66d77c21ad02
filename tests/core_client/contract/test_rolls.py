from __future__ import annotations

from typing import Any

import pytest

from core_client import DiceGroup, Die, Platform, RecordError, RollRecord, Visibility
from core_client.contract import codec
from core_client.contract.events import decode_delivery, encode_delivery


def sample() -> RollRecord:
    return RollRecord(
        platform=Platform.ROLL20,
        campaign_id="c1",
        formula="2d20kh1+5",
        total=23,
        groups=(
            DiceGroup(
                notation="2d20kh1",
                sides=20,
                subtotal=18,
                dice=(Die(20, 18), Die(20, 3, kept=False)),
            ),
        ),
        source_message_id="-Mabc",
        actor_name="Alice",
        label="Attack",
        visibility=Visibility.GM,
        raw={"type": "gmrollresult"},
    )


def test_record_round_trips_through_json() -> None:
    record = sample()
    again = codec.decode(codec.encode(record), RollRecord)
    assert again == record
    assert again.groups[0].dice[1].kept is False


def mutate(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = codec.to_builtins(sample())
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "body"),
        (mutate(platform="myspace"), "platform"),
        (mutate(campaign_id=""), "campaign_id"),
        (mutate(campaign_id=None), "campaign_id"),
        (mutate(formula="x" * 2001), "formula"),
        (mutate(total="12"), "total"),
        (mutate(total=True), "total"),
        (mutate(total=float("inf")), "total"),
        (mutate(visibility="everyone"), "visibility"),
        (mutate(crit="yes"), "crit"),
        (mutate(groups={}), "groups"),
        (mutate(groups=[{}] * 101), "groups"),
        (mutate(groups=[{"notation": "1d6", "sides": "six", "dice": []}]), "groups[0].sides"),
        (
            mutate(groups=[{"notation": "1d6", "sides": 6, "dice": [{"sides": 6, "value": 1.5}]}]),
            "groups[0].dice[0].value",
        ),
    ],
)
def test_decode_names_the_bad_field(data: Any, field: str) -> None:
    with pytest.raises(RecordError) as info:
        codec.decode(data, RollRecord)
    assert info.value.field == field


def test_delivery_round_trip_keeps_event_ids() -> None:
    events = [sample().event() for _ in range(3)]
    decoded = decode_delivery(encode_delivery(events))
    assert [e.id for e in decoded] == [e.id for e in events]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"\xff\xfe", "body"),
        (b"[]", "body"),
        (b'{"events": []}', "events"),
        (b'{"events": [{"id": "a", "type": "nope", "data": {}}]}', "events[0].type"),
        (b'{"events": [{"id": "", "type": "roll.recorded", "data": {}}]}', "events[0].id"),
        (b'{"events": [{"id": "a", "type": "roll.recorded", "data": 1}]}', "events[0].data"),
    ],
)
def test_decode_delivery_refuses_malformed_bodies(body: bytes, field: str) -> None:
    with pytest.raises(RecordError) as info:
        decode_delivery(body)
    assert info.value.field == field
