"""Every contract Struct encodes and decodes to itself, for any value its bounds allow.

The strategies are derived from each Struct's own declaration (through
`msgspec.inspect`), so a field added to the contract is covered without
touching this test, and the values drawn sit right up to the declared bounds.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_client import contract
from core_client.contract import codec

CLEAN = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CLEAN, max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CLEAN), inner, max_size=4),
    max_leaves=12,
)
STRUCTS = sorted(
    {
        obj
        for obj in vars(contract).values()
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct) and obj is not contract.Record
    },
    key=lambda t: t.__name__,
)


def strategy(t: mi.Type) -> st.SearchStrategy[Any]:
    """Return values of one msgspec type, within its declared bounds."""
    if isinstance(t, mi.StructType):
        fields = {f.name: strategy(f.type) for f in t.fields}
        return st.builds(t.cls, **fields)
    if isinstance(t, mi.UnionType):
        return st.one_of(*(strategy(m) for m in t.types))
    if isinstance(t, mi.StrType):
        return _text(t)
    if isinstance(t, mi.IntType):
        low = t.ge if t.gt is None else t.gt + 1
        high = t.le if t.lt is None else t.lt - 1
        return st.integers(low, high)
    if isinstance(t, mi.FloatType):
        top = t.le if t.lt is None else t.lt
        return st.floats(t.ge, top, allow_nan=False, exclude_max=t.lt is not None)
    if isinstance(t, mi.EnumType):
        return st.sampled_from(list(t.cls))
    if isinstance(t, mi.VarTupleType):
        size = {"min_size": t.min_length or 0, "max_size": min(t.max_length or 3, 3)}
        return st.lists(strategy(t.item_type), **size).map(tuple)
    if isinstance(t, mi.DictType):
        return st.dictionaries(st.text(CLEAN, max_size=8), JSON, max_size=3)
    simple = {mi.BoolType: st.booleans(), mi.NoneType: st.none(), mi.AnyType: JSON}
    return simple[type(t)]


def _text(t: mi.StrType) -> st.SearchStrategy[str]:
    if t.pattern == "^F$":
        return st.just("F")
    limit = min(t.max_length or 20, 20)
    drawn = st.text(CLEAN, min_size=t.min_length or 0, max_size=limit)
    return drawn.filter(lambda s: t.pattern is None or re.search(t.pattern, s) is not None)


@pytest.mark.parametrize("kind", STRUCTS, ids=lambda t: t.__name__)
def test_every_struct_round_trips_through_json(kind: type[msgspec.Struct]) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy(mi.type_info(kind)))
    def round_trip(value: msgspec.Struct) -> None:
        assert codec.decode(codec.encode(value), kind) == value
        assert codec.decode(codec.to_builtins(value), kind) == value

    round_trip()


def test_every_payload_and_the_envelope_are_covered() -> None:
    names = {t.__name__ for t in STRUCTS}
    assert {t.__name__ for t in contract.PAYLOADS.values()} <= names
    assert {"Event", "Delivery", "Die", "DiceGroup"} <= names
