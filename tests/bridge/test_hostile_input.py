"""Hostile and contradictory VTT input (issue #12): refused at the edge or parsed in linear time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import FormatError
from bridge.formats import RollContext, convert
from bridge.formats.roll20 import MAX_TITLE
from core_client import Visibility
from tests.bridge.conftest import Bridge, link

CTX = RollContext(campaign_id="c1", game_id="g1", actor_id="u1", actor_name="alice")


def inline(title: str) -> dict[str, Any]:
    return {"kind": "inline", "total": 5, "title": title}


# 1. Every parser is linear, and fields are bounded


async def test_a_64kb_title_of_rolling_is_refused_naming_the_title(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="roll20")
    body = {"game_id": "g1", "format": "roll20.scrape", "payload": inline("Rolling " * 8192)}
    response = await alice.post("/vtt/rolls", body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "payload.title"
    assert f"at most {MAX_TITLE}" in error["message"]


# Titles just under the bound, each shaped to make a backtracking pattern retry
# from every start. Repeating the conversion is a generous CPU bound: a quadratic
# parser takes minutes here, a linear one milliseconds (figures in bench/bridge/titles.py).
REFUSED = [
    "Rolling " * (MAX_TITLE // 8),
    "<" * MAX_TITLE,
    '<span class="' * (MAX_TITLE // 13),
    "1" * MAX_TITLE,
]
PARSED = [
    "Rolling 1" + "1" * (MAX_TITLE - 20) + " = (",
    "Rolling 1d" + "(" * (MAX_TITLE - 20) + " = " + "(",
]


@pytest.mark.parametrize("title", REFUSED, ids=range(len(REFUSED)))
def test_hostile_titles_under_the_bound_are_refused_in_linear_time(title: str) -> None:
    assert len(title) <= MAX_TITLE
    for _ in range(20):
        with pytest.raises(FormatError) as caught:
            convert("roll20.scrape", inline(title), CTX)
        assert caught.value.field == "payload.title"


@pytest.mark.parametrize("title", PARSED, ids=range(len(PARSED)))
def test_hostile_titles_under_the_bound_are_parsed_in_linear_time(title: str) -> None:
    for _ in range(20):
        [record] = convert("roll20.scrape", inline(title), CTX)
        assert record.groups == ()


def test_the_first_rolling_and_the_first_equals_split_a_long_tooltip() -> None:
    title = "Rolling " * 100 + '1d20 = (<span class="basicdiceroll">5</span>)'
    [record] = convert("roll20.scrape", inline(title), CTX)
    assert record.formula.endswith("1d20")
    assert [(d.sides, d.value) for g in record.groups for d in g.dice] == [(20, 5)]


# 3. A result that contradicts its own dice is refused


def r20(dice: int, sides: int, values: list[int]) -> dict[str, Any]:
    results = [{"v": v} for v in values]
    roll = {"rolls": [{"type": "R", "dice": dice, "sides": sides, "results": results}], "total": 1}
    return {"type": "rollresult", "content": json.dumps(roll)}


def foundry(number: int, faces: int, values: list[int], cls: str = "Die") -> dict[str, Any]:
    results = [{"result": v, "active": True} for v in values]
    term = {"class": cls, "number": number, "faces": faces, "results": results}
    return {"class": "Roll", "formula": "1d20", "terms": [term], "total": 1}


def ddb(count: int, values: list[int]) -> dict[str, Any]:
    dice = [{"dieType": "d20", "dieValue": v} for v in values]
    roll = {"diceNotation": {"set": [{"count": count, "dieType": "d20", "dice": dice}]}}
    return {
        "eventType": "dice/roll/fulfilled",
        "data": {"rolls": [roll | {"result": {"total": 1}}]},
    }


def owlbear(kind: str, value: int) -> dict[str, Any]:
    return {"roll": {"dice": [{"id": "a", "type": kind}]}, "values": {"a": value}}


def scraped(classes: str, value: int) -> dict[str, Any]:
    die = {"classes": classes, "value": value}
    return {"kind": "rollresult", "formula": "1d20", "total": value, "dice": [die]}


CONTRADICTIONS = [
    ("roll20.chat", r20(10**9, 20, []), "payload.content.rolls[0].dice"),
    ("roll20.chat", r20(2, 20, [5]), "payload.content.rolls[0].dice"),
    ("roll20.chat", r20(1, 20, [37]), "payload.content.rolls[0].results[0].v"),
    ("roll20.chat", r20(1, 20, [0]), "payload.content.rolls[0].results[0].v"),
    ("roll20.scrape", scraped("diceroll d20", 37), "payload.dice[0].value"),
    ("foundry.roll", foundry(10**9, 20, []), "payload.terms[0].number"),
    ("foundry.roll", foundry(1, 20, [37]), "payload.terms[0].results[0].result"),
    ("foundry.roll", foundry(1, 6, [-1]), "payload.terms[0].results[0].result"),
    ("foundry.roll", foundry(1, 3, [2], "FateDie"), "payload.terms[0].results[0].result"),
    ("foundry.roll", foundry(1, 2, [2], "Coin"), "payload.terms[0].results[0].result"),
    ("dndbeyond.game_log", ddb(10**9, []), "payload.data.rolls[0].diceNotation.set[0].count"),
    ("dndbeyond.game_log", ddb(1, [37]),
     "payload.data.rolls[0].diceNotation.set[0].dice[0].dieValue"),
    ("owlbear.dice", owlbear("D20", 37), "payload.values.a"),
    ("owlbear.dice", owlbear("D10", 11), "payload.values.a"),
    ("owlbear.dice", owlbear("D100", 37), "payload.values.a"),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "payload", "field"), CONTRADICTIONS)
def test_a_result_its_own_dice_cannot_show_is_refused(fmt: str, payload: Any, field: str) -> None:
    with pytest.raises(FormatError) as caught:
        convert(fmt, payload, CTX)
    assert (caught.value.status, caught.value.field) == (422, field)


CONSISTENT = [
    ("roll20.chat", r20(1, 20, [20])),
    ("roll20.chat", r20(1, 6, [6, 6, 2])),  # explosions add results
    ("foundry.roll", foundry(1, 2, [0], "Coin")),
    ("foundry.roll", foundry(4, 3, [-1, 0, 1, 1], "FateDie")),
    ("owlbear.dice", owlbear("D100", 90)),
    ("owlbear.dice", owlbear("D10", 0)),
]


@pytest.mark.parametrize(("fmt", "payload"), CONSISTENT)
def test_results_their_dice_can_show_still_convert(fmt: str, payload: Any) -> None:
    assert convert(fmt, payload, CTX)


async def test_a_d20_showing_37_is_a_422_over_http(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="foundry")
    body = {"game_id": "g1", "format": "foundry.roll", "payload": foundry(1, 20, [37])}
    response = await alice.post("/vtt/rolls", body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "payload.terms[0].results[0].result"


# 4. One rule for who may see a roll, the same for every VTT

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str, **changes: Any) -> Any:
    return json.loads((FIXTURES / name).read_text()) | changes


# Each row: one audience, as each VTT says it -> the one visibility it means.
AUDIENCES = [
    # the roller and the GMs
    ("roll20.chat", fixture("roll20_gmrollresult.json"), Visibility.PRIVATE),
    ("roll20.scrape", fixture("roll20_scrape.json", kind="gmrollresult"), Visibility.PRIVATE),
    ("foundry.chat_message", fixture("foundry_chat_message.json"), Visibility.PRIVATE),
    ("owlbear.dice", owlbear("D20", 5) | {"roll": owlbear("D20", 5)["roll"] | {"hidden": True}},
     Visibility.PRIVATE),
    # the GMs only, the roller not shown the result
    ("foundry.chat_message", fixture("foundry_chat_message.json", blind=True), Visibility.GM),
    # everyone
    ("roll20.chat", fixture("roll20_rollresult.json"), Visibility.PUBLIC),
    ("foundry.chat_message", fixture("foundry_chat_message.json", whisper=[]), Visibility.PUBLIC),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "payload", "visibility"), AUDIENCES)
def test_the_same_audience_is_the_same_visibility_on_every_vtt(
    fmt: str, payload: Any, visibility: Visibility
) -> None:
    assert {r.visibility for r in convert(fmt, payload, CTX)} == {visibility}


# 5. Owlbear's own metadata keys, as the Dice extension emits them

OWL_ROLL = {"dice": [{"id": "d1", "type": "D20"}, {"id": "d2", "type": "D6"}], "bonus": 1}
OWL_META = {
    "rodeo.owlbear.dice/roll": OWL_ROLL,
    "rodeo.owlbear.dice/rollValues": {"d1": 12, "d2": 3},
}
OWL_SHAPES = [
    {"roll": OWL_ROLL, "values": {"d1": 12, "d2": 3}},  # renamed, as before
    OWL_META,  # the player's metadata as it is
    {"id": "player-1", "name": "Mira", "role": "PLAYER", "metadata": OWL_META},  # the player
]


@pytest.mark.parametrize("payload", OWL_SHAPES, ids=["renamed", "metadata", "player"])
def test_owlbear_rolls_are_read_under_the_extensions_own_keys(payload: Any) -> None:
    [record] = convert("owlbear.dice", payload, CTX)
    assert (record.total, [(d.sides, d.value) for g in record.groups for d in g.dice]) == (
        16,
        [(20, 12), (6, 3)],
    )


def test_an_owlbear_player_names_the_roller_and_its_id_does_not_dedup_rolls() -> None:
    [first] = convert("owlbear.dice", OWL_SHAPES[2], CTX)
    again = OWL_META | {"rodeo.owlbear.dice/rollValues": {"d3": 12, "d4": 3}}
    roll = {"dice": [{"id": "d3", "type": "D20"}, {"id": "d4", "type": "D6"}], "bonus": 1}
    again["rodeo.owlbear.dice/roll"] = roll
    [second] = convert("owlbear.dice", {"id": "player-1", "metadata": again}, CTX)
    assert first.character_name == "Mira"
    assert first.source_message_id != second.source_message_id
    assert first.source_message_id == convert("owlbear.dice", OWL_META, CTX)[0].source_message_id


def test_an_owlbear_die_still_rolling_is_refused_naming_the_key() -> None:
    rolling = OWL_META | {"rodeo.owlbear.dice/rollValues": {"d1": None, "d2": 3}}
    with pytest.raises(FormatError) as caught:
        convert("owlbear.dice", rolling, CTX)
    assert caught.value.field == "payload.rodeo.owlbear.dice/rollValues"


# 6. Keep/drop across sub-rolls: a dropped sub-roll's dice are not kept


def foundry_sub(value: int) -> dict[str, Any]:
    die = {"class": "Die", "number": 1, "faces": 20, "results": [{"result": value, "active": True}]}
    terms = [die, {"class": "OperatorTerm", "operator": "+"}, {"class": "NumericTerm", "number": 2}]
    return {"class": "Roll", "formula": "1d20 + 2", "terms": terms, "total": value + 2}


def foundry_pool(first: int, second: int, keep: str) -> dict[str, Any]:
    """`{1d20+2,1d20+2}kh` (or `kl`): Foundry marks the left-out sub-roll inactive."""
    pick = max if keep == "kh" else min
    kept = pick((first, second))
    results = [
        {"result": v + 2, "active": v == kept} | ({} if v == kept else {"discarded": True})
        for v in (first, second)
    ]
    pool = {
        "class": "PoolTerm",
        "terms": ["1d20 + 2", "1d20 + 2"],
        "modifiers": [keep],
        "rolls": [json.dumps(foundry_sub(first)), foundry_sub(second)],
        "results": results,
    }
    return {"class": "Roll", "formula": f"{{1d20+2,1d20+2}}{keep}", "terms": [pool],
            "total": kept + 2}  # fmt: skip


def roll20_group(first: int, second: int) -> dict[str, Any]:
    """`{1d20+5,1d20+5}kh1`: Roll20 marks the dropped sub-roll's result `d`."""

    def sub(v: int) -> list[dict[str, Any]]:
        return [{"type": "R", "dice": 1, "sides": 20, "results": [{"v": v}]},
                {"type": "M", "expr": "+5"}]  # fmt: skip

    kept = max(first, second)
    results = [{"v": v + 5} | ({} if v == kept else {"d": True}) for v in (first, second)]
    group = {"type": "G", "rolls": [sub(first), sub(second)], "results": results,
             "mods": {"keep": {"end": "h", "count": 1}}, "resultType": "sum"}  # fmt: skip
    roll = {"type": "V", "rolls": [group], "total": kept + 5}
    return {"type": "rollresult", "origRoll": "{1d20+5,1d20+5}kh1", "content": json.dumps(roll)}


# (format, payload) -> the d20s as (value, kept), crit, fumble
POOLS = [
    ("foundry.roll", foundry_pool(1, 14, "kh"), [(1, False), (14, True)], False, False),
    ("foundry.roll", foundry_pool(20, 7, "kl"), [(20, False), (7, True)], False, False),
    ("foundry.roll", foundry_pool(1, 20, "kh"), [(1, False), (20, True)], True, False),
    ("foundry.roll", foundry_pool(1, 9, "kl"), [(1, True), (9, False)], False, True),
    ("roll20.chat", roll20_group(1, 14), [(1, False), (14, True)], False, False),
    ("roll20.chat", roll20_group(20, 3), [(20, True), (3, False)], True, False),
]


@pytest.mark.parametrize(("fmt", "payload", "d20s", "crit", "fumble"), POOLS)
def test_a_sub_roll_left_out_by_keep_or_drop_has_no_kept_dice(
    fmt: str, payload: Any, d20s: list[tuple[int, bool]], crit: bool, fumble: bool
) -> None:
    [record] = convert(fmt, payload, CTX)
    assert [(d.value, d.kept) for g in record.groups for d in g.dice] == d20s
    assert (record.crit, record.fumble) == (crit, fumble)
    assert sum(g.subtotal or 0 for g in record.groups) == sum(v for v, kept in d20s if kept)


# 7. Roll20's custom crit ranges


def r20_crit(value: int, formula: str, mods: dict[str, Any] | None = None) -> dict[str, Any]:
    term = {"type": "R", "dice": 1, "sides": 20, "mods": mods or {}, "results": [{"v": value}]}
    roll = {"type": "V", "rolls": [term], "total": value}
    return {"type": "rollresult", "origRoll": formula, "content": json.dumps(roll)}


def r20_inline(value: int, expression: str) -> dict[str, Any]:
    term = {"type": "R", "dice": 1, "sides": 20, "results": [{"v": value}]}
    results = {"type": "V", "rolls": [term], "total": value}
    return {"type": "general", "inlinerolls": [{"expression": expression, "results": results}]}


GE_18 = {"customCrit": [{"comp": ">=", "point": 18}]}
LE_3 = {"customFumble": [{"comp": "<=", "point": 3}]}
# (format, payload) -> crit, fumble
CRIT_RANGES = [
    ("roll20.chat", r20_crit(19, "1d20cs>18"), True, False),
    ("roll20.chat", r20_crit(18, "1d20cs>18"), True, False),  # Roll20's > is "at least"
    ("roll20.chat", r20_crit(17, "1d20cs>18"), False, False),
    ("roll20.chat", r20_crit(19, "1d20cs>18", GE_18), True, False),
    ("roll20.chat", r20_crit(20, "1d20cs=19"), False, False),  # its range replaces 20
    ("roll20.chat", r20_crit(3, "1d20cf<3"), False, True),
    ("roll20.chat", r20_crit(2, "1d20", LE_3), False, True),
    ("roll20.chat", r20_crit(4, "1d20cf<3"), False, False),
    ("roll20.chat", r20_crit(20, "1d20cf<3"), True, False),  # cf alone keeps crit on 20
    ("roll20.chat", r20_crit(19, "1d20"), False, False),
    ("roll20.inline", r20_inline(19, "1d20cs>18+5"), True, False),
    ("roll20.inline", r20_inline(2, "1d20cf<3+5"), False, True),
]


@pytest.mark.parametrize(("fmt", "payload", "crit", "fumble"), CRIT_RANGES)
def test_roll20_custom_crit_ranges_decide_crit_and_fumble(
    fmt: str, payload: Any, crit: bool, fumble: bool
) -> None:
    [record] = convert(fmt, payload, CTX)
    assert (record.crit, record.fumble) == (crit, fumble)
