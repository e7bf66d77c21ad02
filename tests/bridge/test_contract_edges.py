"""What the bridge accepts, Core accepts: a bad value is a 422 at the bridge, never queued.

Each body is sent as raw bytes, since an ordinary JSON encoder would not
write `NaN`, a lone surrogate escape or a NUL escape the way a hostile or
buggy extension can. After each refusal nothing is pending in the outbox
and Core stores no roll.
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from core_client import Outbox
from tests.bridge.conftest import Bridge, Client, link
from tests.support.core import stored_rolls

DIGITS_401 = "9" * 401


def foundry_roll(
    total: str = "4", faces: str = "6", formula: str = '"1d6"', extra: str = ""
) -> str:
    term = (
        f'{{"class": "Die", "faces": {faces}, "number": 1,'
        f' "results": [{{"result": 4, "active": true}}]}}'
    )
    roll = f'{{"class": "Roll", "formula": {formula}, "total": {total}, "terms": [{term}]{extra}}}'
    return f'{{"game_id": "g1", "format": "foundry.roll", "payload": {roll}}}'


async def post_raw(client: Client, path: str, body: str) -> tuple[int, str | None]:
    headers = client.auth | {"content-type": "application/json"}
    response = await client.bridge.http.post(
        client.bridge.url + path, content=body.encode(), headers=headers
    )
    error = response.json().get("error") or {}
    return response.status_code, error.get("field")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/vtt/rolls", foundry_roll(total="NaN"), "payload.total"),
        ("/vtt/rolls", foundry_roll(total="Infinity"), "payload.total"),
        ("/vtt/rolls", foundry_roll(total="-Infinity"), "payload.total"),
        ("/vtt/rolls", foundry_roll(total=DIGITS_401), "payload.total"),
        ("/vtt/rolls", foundry_roll(faces="-6"), "groups[0].sides"),
        ("/vtt/rolls", foundry_roll(formula='"1d6\\ud800"'), "payload.formula"),
        ("/vtt/rolls", foundry_roll(formula='"1d6\\u0000"'), "payload.formula"),
        ("/vtt/rolls", foundry_roll(extra=', "flavor": NaN'), "payload.flavor"),
        ("/vtt/rolls", foundry_roll(extra=', "note": "\\ud800"'), "payload.note"),
        ("/vtt/rolls", foundry_roll(extra=', "note": "a\\u0000b"'), "payload.note"),
        ("/vtt/rolls", foundry_roll(extra=f', "big": {DIGITS_401}'), "payload.big"),
        ("/vtt/chat", '{"game_id": "g1", "text": "hi\\u0000"}', "text"),
        ("/vtt/chat", '{"game_id": "g1", "text": "\\udfff"}', "text"),
        ("/vtt/chat", '{"game_id": "g1", "text": "hi", "gm_only": "yes"}', "gm_only"),
        ("/vtt/roll", '{"game_id": "g1", "expression": "1d20", "visibility": "all"}', "visibility"),
        ("/vtt/roll", '{"game_id": "g1", "expression": "1d20", "colour": "red"}', "colour"),
    ],
)
async def test_a_bad_value_is_refused_at_the_bridge_and_never_queued(
    bridge: Bridge, outbox: Outbox, core_app: Starlette, path: str, body: str, field: str
) -> None:
    alice = await link(bridge, "alice", platform="foundry")
    assert await outbox.flush()  # the link's own event
    assert await post_raw(alice, path, body) == (422, field)
    assert outbox.pending == 0
    assert await outbox.flush()
    assert await stored_rolls(core_app) == []


async def test_a_good_value_next_to_them_goes_through_to_core(
    bridge: Bridge, outbox: Outbox, core_app: Starlette
) -> None:
    # The same body with sane values is accepted: the refusals above are the values'.
    alice = await link(bridge, "alice", platform="foundry")
    assert await post_raw(alice, "/vtt/rolls", foundry_roll()) == (202, None)
    assert await outbox.flush()
    [stored] = await stored_rolls(core_app)
    assert (stored.platform, stored.total) == ("foundry", 4.0)
