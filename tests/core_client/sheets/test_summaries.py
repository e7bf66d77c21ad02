"""Compact summaries from real-sized exports of Foundry (dnd5e), DiceCloud v2 and Roll20 (OGL).

The fixtures (and where they come from) are described in fixtures/README.md.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.characters import parse_character
from core_client import Platform
from core_client.contract import codec
from core_client.contract.summary import Attack, CharacterSummary, Spell
from core_client.sheets import summarize

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@pytest.mark.parametrize(
    "name", ["foundry_wizard.json", "dicecloud_cleric.json", "roll20_ranger.json"]
)
def test_each_fixture_is_real_sized_and_imports(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    assert len(raw) >= 30_000
    imported = parse_character(raw)
    assert summarize(imported.source_platform, imported.source, imported.name) is not None


def test_a_foundry_actor_gets_the_totals_foundry_derives() -> None:
    actor = fixture("foundry_wizard.json")
    summary = summarize(Platform.FOUNDRY, actor, actor["name"])
    assert summary is not None
    assert (summary.name, summary.classes, summary.level) == ("Zanna (Gnome Wizard)", "Wizard 1", 1)
    # Max HP is not in the export: d6 taken at its maximum, plus the Con modifier.
    assert (summary.hp, summary.hp_max, summary.ac) == (8, 8, 11)
    assert summary.abilities["int"].score == 17
    assert summary.abilities["int"].mod == 3
    assert (summary.saves["int"], summary.saves["wis"], summary.saves["str"]) == (5, 3, -1)
    assert (summary.skills["arcana"], summary.skills["stealth"]) == (5, 1)
    assert summary.attacks == (Attack("Quarterstaff", -1 + 2, "1d6-1 bludgeoning"),)
    assert (summary.spell_attack, summary.spell_dc) == (5, 13)
    assert Spell("Fire Bolt", 0) in summary.spells
    assert Spell("Magic Missile", 1) in summary.spells
    assert summary.conditions == ()


def test_foundry_conditions_are_the_active_effects_statuses() -> None:
    actor = copy.deepcopy(fixture("foundry_wizard.json"))
    actor["effects"] = [
        {"name": "Poisoned", "statuses": ["poisoned"], "disabled": False},
        {"name": "Prone", "statuses": ["prone"], "disabled": True},
    ]
    actor["system"]["attributes"]["exhaustion"] = 2
    summary = summarize(Platform.FOUNDRY, actor, actor["name"])
    assert summary is not None
    assert summary.conditions == ("poisoned", "exhaustion 2")


def test_foundry_armor_is_worn_armor_plus_capped_dex_plus_shield() -> None:
    actor = copy.deepcopy(fixture("foundry_wizard.json"))
    actor["items"] += [
        {"name": "Scale Mail", "type": "equipment",
         "system": {"equipped": True, "type": {"value": "medium"}, "armor": {"value": 14}}},
        {"name": "Shield", "type": "equipment",
         "system": {"equipped": True, "type": {"value": "shield"}, "armor": {"value": 2}}},
    ]  # fmt: skip
    actor["system"]["abilities"]["dex"]["value"] = 18  # +4, capped at +2 in medium armour
    summary = summarize(Platform.FOUNDRY, actor, actor["name"])
    assert summary is not None
    assert summary.ac == 14 + 2 + 2


def test_a_dicecloud_creature_reads_its_computed_values() -> None:
    export = fixture("dicecloud_cleric.json")
    summary = summarize(Platform.DICECLOUD, export, "Brannoc Ashvale")
    assert summary is not None
    assert (summary.classes, summary.level, summary.proficiency) == ("Cleric 5", 5, 3)
    assert (summary.hp, summary.hp_max, summary.ac) == (29, 38, 18)
    assert summary.abilities["wis"].mod == 4
    assert (summary.saves["wis"], summary.saves["cha"], summary.saves["str"]) == (7, 4, 0)
    assert (summary.skills["medicine"], summary.skills["sleight_of_hand"]) == (7, 2)
    assert Attack("Light Crossbow", 5, "1d8 + 2 piercing") in summary.attacks
    assert (summary.spell_dc, summary.spell_attack) == (15, 7)
    assert Spell("Spirit Guardians", 3) in summary.spells
    assert summary.conditions == ("poisoned",)  # the removed Bless buff is not one


def test_a_roll20_ogl_sheet_reads_its_attributes_and_repeating_rows() -> None:
    export = fixture("roll20_ranger.json")
    summary = summarize(Platform.ROLL20, export, export["name"])
    assert summary is not None
    assert (summary.classes, summary.level, summary.hp, summary.hp_max) == ("Ranger 5", 5, 31, 44)
    assert (summary.ac, summary.initiative, summary.speed) == (16, 4, 35)
    assert summary.abilities["dex"].score == 18
    assert (summary.saves["dex"], summary.skills["stealth"]) == (7, 7)
    # Row ids hold "_" (as Roll20's do): every row is still found.
    assert [a.name for a in summary.attacks] == ["Longbow", "Shortsword", "Dagger"]
    assert summary.attacks[0] == Attack("Longbow", 7, "1d8+4 Piercing")
    assert Spell("Pass without Trace", 2) in summary.spells
    assert (summary.spell_dc, summary.spell_attack) == (14, 6)


def test_a_summary_is_a_small_fraction_of_its_sheet() -> None:
    for name, platform in (("foundry_wizard.json", Platform.FOUNDRY),
                           ("dicecloud_cleric.json", Platform.DICECLOUD),
                           ("roll20_ranger.json", Platform.ROLL20)):  # fmt: skip
        summary = summarize(platform, fixture(name), "Someone")
        assert summary is not None
        assert len(codec.encode(summary)) < 2_000 < (FIXTURES / name).stat().st_size / 20


def test_a_sheet_of_a_source_without_an_extractor_has_no_summary() -> None:
    assert summarize(Platform.DISCORD, {"name": "typed by hand"}, "X") is None
    assert summarize("nonsense", {}, "X") is None
    assert summarize(Platform.FOUNDRY, ["not", "an", "object"], "X") is None


def test_values_beyond_the_bounds_are_left_unknown_not_refused() -> None:
    actor = {"name": "Huge", "type": "character", "system": {
        "attributes": {"hp": {"value": 10**12, "max": "lots"}, "ac": {"value": -5}},
        "abilities": {"str": {"value": 400}, "dex": {"value": "14"}}}}  # fmt: skip
    summary = summarize(Platform.FOUNDRY, actor, "Huge")
    assert summary is not None
    assert (summary.hp, summary.hp_max, summary.ac) == (None, None, None)
    assert set(summary.abilities) == {"dex"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                  max_size=6),
    max_leaves=40,
)  # fmt: skip
KEYS = st.sampled_from(
    [
        "system",
        "items",
        "attribs",
        "creatureProperties",
        "effects",
        "abilities",
        "attributes",
        "hp",
        "type",
        "name",
    ]
)
SHEETS = st.dictionaries(KEYS, JSON, max_size=6)


@settings(max_examples=300, deadline=None)
@given(platform=st.sampled_from([Platform.FOUNDRY, Platform.DICECLOUD, Platform.ROLL20]),
       sheet=SHEETS)  # fmt: skip
def test_any_json_gives_a_valid_summary_or_none_and_never_raises(
    platform: Platform, sheet: dict[str, Any]
) -> None:
    summary = summarize(platform, sheet, "Anyone")
    if summary is not None:
        again = msgspec.json.decode(codec.encode(summary), type=CharacterSummary)
        assert again == summary
