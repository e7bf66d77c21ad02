"""Hostile and contradictory VTT input (issue #12): refused at the edge or parsed in linear time."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.errors import FormatError
from bridge.formats import RollContext, convert
from bridge.formats.roll20 import MAX_TITLE
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
