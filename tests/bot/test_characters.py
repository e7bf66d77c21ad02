"""Character imports become the contract's CharacterUpserted, within Core's bounds."""

from __future__ import annotations

import json
import re

import pytest

from bot.characters import CharacterImportError, parse_character
from core_client import CharacterUpserted, Platform
from core_client.contract.scalars import MAX_SHEET_BYTES


def dicecloud(name: str = "Pike", **extra: object) -> bytes:
    props = [{"type": "attribute", "variableName": "armor", "total": 18}]
    return json.dumps(
        {"creatures": [{"name": name}], "creatureProperties": props, **extra}
    ).encode()


def test_a_dicecloud_export_is_a_dicecloud_character() -> None:
    character = parse_character(dicecloud())
    assert isinstance(character, CharacterUpserted)
    assert (character.name, character.source_platform) == ("Pike", Platform.DICECLOUD)
    assert character.stats == {"ac": 18}
    assert (character.roll20, character.foundry) == (None, None)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (dicecloud(notes="\u0000"), "source.notes"),
        (dicecloud(name="Pi\u0000ke"), "source.creatures[0].name"),
        (dicecloud(blob="x" * MAX_SHEET_BYTES), "source"),
    ],
)
def test_a_sheet_core_could_not_store_is_refused_naming_the_field(raw: bytes, says: str) -> None:
    with pytest.raises(CharacterImportError, match=re.escape(f"the sheet's {says} ")):
        parse_character(raw)
