"""Parse-failure reports: counted per platform and kind, logged sparingly, content kept out."""

from __future__ import annotations

import logging

import pytest

from tests.bridge.conftest import Bridge, link
from tests.support.metrics import scrape

REPORT = {
    "game_id": "g1",
    "kind": "roll_markup",
    "selector": ".message.rollresult .rolled",
    "detail": "no total in a roll: the secret door is behind the altar",
    "extension_version": "0.1.0",
}
METRIC = "fumblebot_bridge_parse_failures_total"


async def test_reports_are_counted_by_platform_and_kind(bridge: Bridge) -> None:
    roll20 = await link(bridge, "alice", platform="roll20")
    foundry = await link(bridge, "bob", platform="foundry")
    sent = [(roll20, "roll_markup"), (roll20, "roll_markup"), (foundry, "chat_markup")]
    for client, kind in sent:
        response = await client.post("/vtt/parse-failures", {**REPORT, "kind": kind})
        assert response.status_code == 202, response.text
    samples = await scrape(bridge.http, f"{bridge.url}/metrics")
    assert samples[(METRIC, "kind=roll_markup,platform=roll20")] == 2
    assert samples[(METRIC, "kind=chat_markup,platform=foundry")] == 1


async def test_one_warning_per_kind_and_no_player_text_above_debug(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await link(bridge, "alice")
    caplog.set_level(logging.DEBUG, logger="bridge.parse_failures")
    for _ in range(5):
        assert (await alice.post("/vtt/parse-failures", REPORT)).status_code == 202
    await alice.post("/vtt/parse-failures", {**REPORT, "kind": "unknown_message"})
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(": ")[1].split(" at ")[0] for r in warnings] == [
        "roll_markup",
        "unknown_message",
    ]
    assert all("altar" not in r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "wrong_kind"}, "kind"),
        ({"detail": "x" * 501}, "detail"),
        ({"selector": ""}, "selector"),
        ({"extension_version": "1 0"}, "extension_version"),
        ({"extension_version": None}, "extension_version"),
    ],
)
async def test_a_bad_report_is_refused_naming_the_field(
    bridge: Bridge, change: dict[str, object], field: str
) -> None:
    alice = await link(bridge, "alice")
    response = await alice.post("/vtt/parse-failures", {**REPORT, **change})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


async def test_reports_spend_the_tokens_rate_limit(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    statuses = [(await alice.post("/vtt/parse-failures", REPORT)).status_code for _ in range(40)]
    assert 429 in statuses
    assert statuses[0] == 202
