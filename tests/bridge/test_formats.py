"""Every VTT format, from realistic payloads to standard roll records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import FormatError
from bridge.formats import CONVERTERS, RollContext, convert
from bridge.formats.beyond20 import roll_request
from core_client import RollRecord, Visibility
from core_client.contract import codec

FIXTURES = Path(__file__).parent / "fixtures"
# Field names the converters read, so generated payloads get past the first checks.
KEYS = [
    "type", "content", "rolls", "total", "dice", "sides", "results", "v", "d", "inlinerolls",
    "expression", "kind", "formula", "classes", "value", "title", "terms", "class", "faces",
    "number", "result", "active", "eventType", "data", "diceNotation", "set", "dieType",
    "dieValue", "action", "attack_rolls", "damage_rolls", "parts", "roll", "values", "id",
    "metadata", "rodeo.owlbear.dice/roll", "rodeo.owlbear.dice/rollValues", "mods", "customCrit",
    "customFumble", "comp", "point", "origRoll",
]  # fmt: skip
CTX = RollContext(campaign_id="c1", game_id="g1", actor_id="u1", actor_name="alice")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def dice(record: RollRecord) -> list[tuple[int | str, int, bool]]:
    return [(d.sides, d.value, d.kept) for g in record.groups for d in g.dice]


# (format, fixture) -> per record: (total, visibility, dice, crit, fumble)
CASES = [
    ("roll20.chat", "roll20_rollresult.json",
     [(23, "public", [(20, 18, True), (20, 3, False)], False, False)]),
    ("roll20.chat", "roll20_gmrollresult.json",
     [(15, "private", [(6, 6, True), (6, 1, False), (6, 4, True), (6, 5, True)], False, False)]),
    ("roll20.inline", "roll20_inline.json",
     [(25, "public", [(20, 20, True)], True, False), (9, "public", [(8, 6, True)], False, False)]),
    ("roll20.scrape", "roll20_scrape.json",
     [(19, "public", [(20, 20, True), (20, 7, False)], True, False)]),
    ("roll20.scrape", "roll20_scrape_inline.json",
     [(4, "public", [(20, 1, True)], False, True)]),
    ("foundry.roll", "foundry_roll.json",
     [(22, "public", [(20, 3, False), (20, 17, True)], False, False)]),
    ("foundry.chat_message", "foundry_chat_message.json",
     [(29, "private", [(6, v, k != 2) for k, v in enumerate([6, 2, 1, 4, 3, 5, 1, 2, 6])],
       False, False),
      (1, "private", [("F", v, True) for v in (-1, 0, 1, 1)], False, False)]),
    ("dndbeyond.game_log", "dndbeyond_game_log.json",
     [(20, "public", [(20, 8, False), (20, 15, True)], False, False),
      (10, "public", [(8, 7, True)], False, False)]),
    ("beyond20.rendered_roll", "beyond20_rendered_roll.json",
     [(25, "public", [(20, 4, False), (20, 20, True)], True, False),
      (13, "public", [(8, 6, True), (8, 4, True)], False, False),
      (5, "public", [(6, 1, False), (6, 5, True)], False, False)]),
    ("owlbear.dice", "owlbear_dice.json",
     [(119, "public", [(20, 11, False), (20, 17, True), (100, 100, True)], False, False)]),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "fixture", "expected"), CASES, ids=[c[1] for c in CASES])
def test_format_converts_to_standard_records(fmt: str, fixture: str, expected: list[Any]) -> None:
    payload = load(fixture)
    records = convert(fmt, payload, CTX)
    got = [(r.total, r.visibility.value, dice(r), r.crit, r.fumble) for r in records]
    assert got == expected
    assert records[0].raw == payload
    for r in records:
        assert (r.campaign_id, r.game_id, r.actor_id) == ("c1", "g1", "u1")
        assert codec.decode(codec.to_builtins(r), RollRecord) is not None  # Core will accept it


def test_labels_and_names_are_kept() -> None:
    [r20] = convert("roll20.chat", load("roll20_rollresult.json"), CTX)
    # The comment is the label, not part of the formula (a native roll keeps them apart).
    assert (r20.label, r20.character_name, r20.formula) == ("Attack", "Alice the Bold", "2d20kh1+5")
    assert r20.source_message_id == "-NjQ3xZ8kq2Lr4tYvB1a"
    ddb = convert("dndbeyond.game_log", load("dndbeyond_game_log.json"), CTX)
    assert ddb[0].label == "Longsword to hit advantage"
    assert ddb[0].character_name == "Thorin Oakenshield"
    inline = convert("roll20.inline", load("roll20_inline.json"), CTX)
    assert inline[1].groups[0].label == "STR"
    assert inline[1].source_message_id == "-NjQ5bb77#1"
    assert [r.label for r in inline] == ["Longsword (atk)"] * 2  # the roll template says so


def test_roll20_top_and_bottom_ends_read_as_real_notation() -> None:
    rolls = [{"type": "R", "dice": 2, "sides": 20, "mods": {"keep": {"end": "top", "count": 1}},
              "results": [{"v": 7, "d": True}, {"v": 15}]},
             {"type": "M", "expr": "+"},
             {"type": "R", "dice": 4, "sides": 6, "mods": {"drop": {"end": "bottom", "count": 1}},
              "results": [{"v": 1, "d": True}, {"v": 3}, {"v": 4}, {"v": 5}]}]  # fmt: skip
    payload = {"type": "rollresult", "content": json.dumps({"rolls": rolls, "total": 27})}
    [record] = convert("roll20.chat", payload, CTX)
    assert [g.notation for g in record.groups] == ["2d20kh1", "4d6dl1"]
    assert record.formula == "2d20kh1+4d6dl1"  # no origRoll: rebuilt from the roll JSON


@pytest.mark.parametrize(
    ("values", "total"),
    [
        ({"p1": 0, "p2": 0}, 100),  # 00 + 0 is 100
        ({"p1": 90, "p2": 0}, 90),
        ({"p1": 0, "p2": 7}, 7),
        ({"p1": 40, "p2": 5}, 45),
    ],
)
def test_owlbear_percentile_pairs(values: dict[str, int], total: int) -> None:
    payload = {
        "roll": {"dice": [{"id": "p1", "type": "D100"}, {"id": "p2", "type": "D10"}]},
        "values": values,
    }
    [record] = convert("owlbear.dice", payload, CTX)
    assert record.total == total


def test_owlbear_lone_d10_reads_zero_as_ten_and_hidden_is_private() -> None:
    payload = {"roll": {"dice": [{"id": "x", "type": "D10"}], "hidden": True}, "values": {"x": 0}}
    [record] = convert("owlbear.dice", payload, CTX)
    assert (record.total, record.visibility) == (10, Visibility.PRIVATE)


def test_beyond20_roll_request_lists_what_to_roll() -> None:
    request = roll_request(load("beyond20_roll.json"))
    assert request.formulas == (("Longsword", "2d20kh1+5"), ("Longsword Slashing", "1d8+3"))
    assert request.visibility is Visibility.PRIVATE
    assert request.character_name == "Thorin Oakenshield"


@pytest.mark.parametrize(
    ("fmt", "payload", "field"),
    [
        ("roll20.chat", {"type": "general", "content": "{}"}, "payload.type"),
        ("roll20.chat", {"type": "rollresult", "content": "{not json"}, "payload.content"),
        ("roll20.chat", {"type": "rollresult", "content": '{"rolls": []}'}, "payload.content"),
        ("roll20.inline", {"inlinerolls": []}, "payload.inlinerolls"),
        ("roll20.scrape", {"kind": "inline", "total": 3, "title": "hello"}, "payload.title"),
        ("roll20.scrape", {"kind": "rollresult", "formula": "1d20", "total": 3,
                           "dice": [{"classes": "diceroll", "value": 3}]}, "payload.dice[0]"),
        ("foundry.roll", {"class": "Roll", "formula": "1d20", "terms": []}, "payload.total"),
        ("foundry.roll", [1, 2], "payload"),
        ("foundry.chat_message", {"rolls": ["{oops"]}, "payload.rolls[0]"),
        ("dndbeyond.game_log", {"eventType": "dice/roll/pending"}, "payload.eventType"),
        ("dndbeyond.game_log", {"eventType": "dice/roll/fulfilled", "data": {"rolls": [
            {"diceNotation": {"set": [{"dieType": "x", "dice": []}]}, "result": {"total": 1}}]}},
         "payload.data.rolls[0].diceNotation.set[0].dieType"),
        ("beyond20.rendered_roll", {"action": "rendered-roll"}, "payload"),
        ("owlbear.dice", {"roll": {"dice": [{"id": "a", "type": "D7"}]}, "values": {"a": 1}},
         "payload.roll.dice[0].type"),
        ("owlbear.dice", {"roll": {"dice": [{"id": "a", "type": "D6"}]}, "values": {}},
         "payload.values"),
        ("nope.format", {}, "format"),
    ],
)  # fmt: skip
def test_malformed_payloads_name_the_bad_field(fmt: str, payload: Any, field: str) -> None:
    with pytest.raises(FormatError) as caught:
        convert(fmt, payload, CTX)
    assert caught.value.field == field
    assert caught.value.status == 422


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None)
@given(fmt=st.sampled_from(sorted(CONVERTERS)), payload=json_values)
def test_any_json_converts_or_raises_format_error(fmt: str, payload: Any) -> None:
    try:
        records = convert(fmt, payload, CTX)
    except FormatError:
        return
    for r in records:
        codec.decode(codec.to_builtins(r), RollRecord)
