"""The bounded decoder: what it refuses, and the field paths it names."""

from __future__ import annotations

import msgspec
import pytest

from core_client.web import InvalidBodyError, InvalidJSONError, decode_json
from core_client.web.decode import MAX_DEPTH, MAX_INT, MIN_INT
from tests.support.bad_bodies import JSON, BadBody, bad_bodies


class Item(msgspec.Struct, forbid_unknown_fields=True):
    x: int


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    items: list[Item]


@pytest.mark.parametrize(
    "bad",
    [b for b in bad_bodies(1024) if b.code == "invalid_json" and b.content_type == JSON],
    ids=lambda b: b.name,
)
def test_json_we_do_not_accept_is_invalid_json(bad: BadBody) -> None:
    with pytest.raises(InvalidJSONError) as info:
        decode_json(bad.content)
    assert (info.value.status, info.value.code) == (400, "invalid_json")


def test_depth_is_bounded_exactly() -> None:
    assert decode_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(InvalidJSONError, match="nested deeper"):
        decode_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


def test_integers_are_bounded_to_64_bits() -> None:
    body = f"[{MIN_INT}, {MAX_INT}, 1.5e300, true]".encode()
    assert decode_json(body) == [MIN_INT, MAX_INT, 1.5e300, True]
    for number in (MAX_INT + 1, MIN_INT - 1):
        with pytest.raises(InvalidBodyError, match="out of range") as info:
            decode_json(f"[1, {number}]".encode())
        assert info.value.field == "[1]"  # a value JSON can carry but no record can: named


def test_values_strict_json_refuses_are_named_where_they_are() -> None:
    cases = {
        b'{"a": {"b": [1, NaN]}}': ("a.b[1]", "finite"),
        b'{"a": -Infinity}': ("a", "finite"),
        b'{"a": ["ok", "\\udfff"]}': ("a[1]", "surrogate"),
        b'{"a": ' + b"9" * 5000 + b"}": ("a", "out of range"),
    }
    for raw, (field, problem) in cases.items():
        with pytest.raises(InvalidBodyError, match=problem) as info:
            decode_json(raw)
        assert (info.value.status, info.value.field) == (422, field)


def test_a_typed_body_is_validated_and_misfits_name_the_field() -> None:
    body = b'{"name": "n", "items": [{"x": 1}]}'
    assert decode_json(body, Batch) == Batch("n", [Item(1)])
    cases = {
        b'{"name": "n", "items": [{"x": "one"}]}': "items[0].x",
        b'{"name": "n", "items": [{"x": 1, "y": 2}]}': "items[0].y",
        b'{"items": []}': "name",
        b'{"name": "n", "items": [{}]}': "items[0].x",
        b"[1]": "body",
    }
    for raw, field in cases.items():
        with pytest.raises(InvalidBodyError) as info:
            decode_json(raw, Batch)
        assert (info.value.status, info.value.code, info.value.field) == (
            422,
            "invalid_body",
            field,
        )
        assert str(info.value).startswith(f"{field}: ")


def test_a_typed_body_is_bounded_too() -> None:
    with pytest.raises(InvalidBodyError, match="out of range"):
        decode_json(b'{"name": "n", "items": [{"x": ' + b"9" * 30 + b"}]}", Batch)
