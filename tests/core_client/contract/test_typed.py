"""The typed shortcut decodes what the general way does, and takes nothing it refuses."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from core_client.contract import PAYLOADS, ChatMessage, Platform, RollRecord, codec, typed
from core_client.contract.events import Event, encode_delivery, split_delivery
from core_client.contract.rolls import DiceGroup, Die
from core_client.errors import RecordError


def _general(body: bytes) -> list[tuple[Event, Any]]:
    events = [codec.decode(obj, Event) for obj in split_delivery(body)]
    return [(e, codec.decode(e.data, PAYLOADS[e.type])) for e in events]


def _roll(raw: Any = None, **fields: Any) -> RollRecord:
    group = DiceGroup("1d20", 20, (Die(20, 17), Die(20, 3, kept=False)), subtotal=17)
    return RollRecord(Platform.DISCORD, "guild:1", "1d20+5", 22, (group,), raw=raw, **fields)


def test_it_decodes_rolls_and_chat_as_the_general_way_does() -> None:
    chat = ChatMessage("guild:1", Platform.ROLL20, "hello", author_name="Ana")
    records = [_roll(), _roll({"who": ["x", 1, 2.5, None]}, label="Attack"), chat]
    body = encode_delivery([r.event() for r in records])
    fast = typed.decode(body)
    assert fast is not None
    general = _general(body)
    assert [r for _, r in fast] == [r for _, r in general] == records
    for (mine, _), (theirs, _) in zip(fast, general, strict=True):
        assert mine.type == theirs.type
        assert (mine.id, mine.occurred_at) == (theirs.id, theirs.occurred_at)


def _body(event: dict[str, Any], **top: Any) -> bytes:
    return json.dumps({"events": [event], **top}).encode()


def _event(**data: Any) -> dict[str, Any]:
    base = codec.to_builtins(_roll().event())
    base["data"] |= data
    return dict(base)


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "body",
    [
        _body(_event(raw=_deep(28))),  # the body's 32 levels, exactly
        _body(_event(raw=_deep(29))),  # 33: the body is refused
        _body(_event(raw={"n": 2**63})),  # beyond 64 bits
        _body(_event(raw={"n": -(2**63)})),
        _body(_event(), extra=1),  # the general way ignores it, yet parses it
        _body(_event(), extra=_deep(40)),
        _body({**_event(), "extra": 1}),
        _body(_event(total="22")),
        _body(_event(unknown=1)),
        _body({**_event(), "type": "user.upserted"}),
        b'{"events": [{"type": "roll.recorded", "data": NaN}]}',
        b'{"events": []}',
        b"",
        b"[1]",
    ],
)
def test_it_takes_no_body_the_general_way_refuses(body: bytes) -> None:
    fast = typed.decode(body)
    if fast is None:
        return  # the general way decides, as it always did
    assert [r for _, r in fast] == [r for _, r in _general(body)]


def test_a_raw_field_too_deep_for_the_body_goes_the_general_way_and_is_refused() -> None:
    body = _body(_event(raw=_deep(29)))
    assert typed.decode(body) is None
    with pytest.raises(RecordError, match="nested deeper than 32"):
        split_delivery(body)
    assert typed.decode(_body(_event(raw=_deep(28)))) is not None


def test_every_field_typed_any_gets_the_bounds_walk() -> None:
    for kind, loose in typed.LOOSE.items():
        info = msgspec.inspect.type_info(kind)
        assert isinstance(info, msgspec.inspect.StructType)
        untyped = {f.name for f in info.fields if _holds_any(f.type)}
        assert untyped == set(loose), kind.__name__


def _holds_any(kind: msgspec.inspect.Type) -> bool:
    if isinstance(kind, msgspec.inspect.AnyType):
        return True
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_holds_any(t) for t in kind.types)
    if isinstance(kind, msgspec.inspect.DictType):
        return _holds_any(kind.value_type)
    if isinstance(kind, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
        return _holds_any(kind.item_type)
    if isinstance(kind, msgspec.inspect.StructType):
        return any(_holds_any(f.type) for f in kind.fields)
    return False
