"""Write the DiceCloud v2 and Roll20 OGL fixtures from their public export formats.

No real export of either was found in a public repository (see the README
beside the fixtures), so this script writes one of each, field for field in
the shape those VTTs export, at the size a levelled character really has
(hundreds of properties, spell and feature descriptions). It is seeded:
running it again writes the same bytes.

    python -m tests.core_client.sheets.build_fixtures
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "fixtures"
ABILITIES = {
    "strength": 10,
    "dexterity": 14,
    "constitution": 14,
    "intelligence": 10,
    "wisdom": 18,
    "charisma": 12,
}
SKILLS = {
    "acrobatics": "dexterity",
    "animalHandling": "wisdom",
    "arcana": "intelligence",
    "athletics": "strength",
    "deception": "charisma",
    "history": "intelligence",
    "insight": "wisdom",
    "intimidation": "charisma",
    "investigation": "intelligence",
    "medicine": "wisdom",
    "nature": "intelligence",
    "perception": "wisdom",
    "performance": "charisma",
    "persuasion": "charisma",
    "religion": "intelligence",
    "sleightOfHand": "dexterity",
    "stealth": "dexterity",
    "survival": "wisdom",
}
LOREM = (
    "The spell's area is a sphere centred on a point you can see within range. Each creature "
    "in the area must make a saving throw, taking the listed damage on a failed save, or half "
    "as much on a successful one. At higher levels the damage increases by one die for each "
    "slot level above the first. "
)
SPELLS = [
    ("Sacred Flame", 0),
    ("Guidance", 0),
    ("Spare the Dying", 0),
    ("Toll the Dead", 0),
    ("Bless", 1),
    ("Cure Wounds", 1),
    ("Guiding Bolt", 1),
    ("Healing Word", 1),
    ("Shield of Faith", 1),
    ("Aid", 2),
    ("Lesser Restoration", 2),
    ("Spiritual Weapon", 2),
    ("Prayer of Healing", 2),
    ("Revivify", 3),
    ("Spirit Guardians", 3),
    ("Mass Healing Word", 3),
]


def mod(score: int) -> int:
    return (score - 10) // 2


class Ids:
    def __init__(self, seed: int, alphabet: str, size: int, prefix: str = "") -> None:
        self.rng = random.Random(seed)
        self.alphabet, self.size, self.prefix = alphabet, size, prefix

    def __call__(self) -> str:
        return self.prefix + "".join(self.rng.choice(self.alphabet) for _ in range(self.size))


def dicecloud() -> dict[str, Any]:
    """Brannoc Ashvale, a level 5 human cleric, poisoned, as DiceCloud v2 exports him."""
    new_id = Ids(5, string.ascii_letters + string.digits, 17)
    creature = new_id()
    props: list[dict[str, Any]] = []
    order = iter(range(1, 10_000))

    def prop(kind: str, parent: str | None = None, **fields: Any) -> str:
        pid = new_id()
        up = {
            "id": parent or creature,
            "collection": "creatureProperties" if parent else "creatures",
        }
        ancestors = [{"id": creature, "collection": "creatures"}]
        if parent:
            ancestors.append(up)
        props.append(
            {
                "_id": pid,
                "type": kind,
                "tags": fields.pop("tags", []),
                "order": next(order),
                "parent": up,
                "ancestors": ancestors,
                "libraryNodeId": new_id(),
                "color": fields.pop("color", None),
                **fields,
            }
        )
        return pid

    def calc(text: str, value: Any) -> dict[str, Any]:
        return {"calculation": text, "value": value, "hash": new_id(), "parseLevel": "reduce"}

    def described(text: str) -> dict[str, Any]:
        return {"text": text, "value": text, "inlineCalculations": []}

    prof = 3
    stats = prop("folder", name="Stats", groupStats=True, tab="stats")
    for name, score in ABILITIES.items():
        prop(
            "attribute",
            stats,
            name=name.title(),
            variableName=name,
            attributeType="ability",
            baseValue=calc(str(score), score),
            total=score,
            value=score,
            modifier=mod(score),
            effects=[],
            description=described(f"{name.title()} measures one of six abilities."),
        )
    hp_max = 8 + 4 * 5 + 5 * mod(14)
    prop(
        "attribute",
        stats,
        name="Hit Points",
        variableName="hitPoints",
        attributeType="healthBar",
        baseValue=calc("8 + 5 * 4 + constitution.modifier * level", hp_max),
        total=hp_max,
        value=hp_max - 9,
        damage=9,
        healthBarColorMid="#FFA000",
        healthBarColorLow="#F44336",
        reset="longRest",
    )
    prop(
        "attribute",
        stats,
        name="Temporary Hit Points",
        variableName="tempHP",
        attributeType="healthBar",
        baseValue=calc("0", 0),
        total=0,
        value=0,
    )
    prop(
        "attribute",
        stats,
        name="Armor Class",
        variableName="armor",
        attributeType="stat",
        baseValue=calc("10", 10),
        total=18,
        value=18,
        effects=[
            {"operation": "base", "calculation": "16", "name": "Chain Mail"},
            {"operation": "add", "calculation": "2", "name": "Shield"},
        ],
    )
    prop(
        "attribute",
        stats,
        name="Proficiency Bonus",
        variableName="proficiencyBonus",
        attributeType="modifier",
        baseValue=calc("ceil(level/4)+1", prof),
        total=prof,
        value=prof,
    )
    prop(
        "attribute",
        stats,
        name="Speed",
        variableName="speed",
        attributeType="stat",
        baseValue=calc("30", 30),
        total=30,
        value=30,
    )
    prop(
        "attribute",
        stats,
        name="Level",
        variableName="level",
        attributeType="stat",
        total=5,
        value=5,
    )
    for level, slots in ((1, 4), (2, 3), (3, 2)):
        prop(
            "attribute",
            stats,
            name=f"Level {level} Spell Slots",
            variableName=f"slotLevel{level}",
            attributeType="spellSlot",
            spellSlotLevel=calc(str(level), level),
            total=slots,
            value=slots - 1,
            damage=1,
            reset="longRest",
        )
    saves = prop("folder", name="Saving Throws", groupStats=True)
    for name, score in ABILITIES.items():
        proficient = name in ("wisdom", "charisma")
        value = mod(score) + (prof if proficient else 0)
        prop(
            "skill",
            saves,
            name=f"{name.title()} Save",
            variableName=f"{name}Save",
            skillType="save",
            ability=name,
            abilityMod=mod(score),
            proficiency=1 if proficient else 0,
            value=value,
        )
    skills = prop("folder", name="Skills", groupStats=True)
    for var, ability in SKILLS.items():
        proficient = var in ("insight", "medicine", "religion", "persuasion")
        value = mod(ABILITIES[ability]) + (prof if proficient else 0)
        prop(
            "skill",
            skills,
            name=var,
            variableName=var,
            skillType="skill",
            ability=ability,
            abilityMod=mod(ABILITIES[ability]),
            proficiency=1 if proficient else 0,
            value=value,
            description=described(f"Your {var} checks use your {ability}."),
        )
    prop(
        "skill",
        skills,
        name="Initiative",
        variableName="initiative",
        skillType="check",
        ability="dexterity",
        abilityMod=2,
        proficiency=0,
        value=2,
    )
    cleric = prop(
        "class",
        name="Cleric",
        variableName="cleric",
        level=5,
        extraTags=[],
        description=described("A priestly champion who wields divine magic."),
    )
    for level in range(1, 6):
        prop("classLevel", cleric, name=f"Cleric {level}", variableName="cleric", level=level)
    features = prop("folder", name="Features", tab="features")
    for title in (
        "Spellcasting",
        "Divine Domain: Life",
        "Disciple of Life",
        "Channel Divinity",
        "Preserve Life",
        "Destroy Undead (CR 1/2)",
        "Ability Score Improvement",
    ):
        prop(
            "feature",
            features,
            name=title,
            summary=described(LOREM[:160]),
            description=described(LOREM * 3),
        )
    inventory = prop("folder", name="Inventory", tab="inventory")
    for item, weight in (
        ("Chain Mail", 55),
        ("Shield", 6),
        ("Mace", 4),
        ("Light Crossbow", 5),
        ("Crossbow Bolts", 1.5),
        ("Holy Symbol", 1),
        ("Priest's Pack", 24),
    ):
        prop(
            "item",
            inventory,
            name=item,
            plural=item + "s",
            quantity=1,
            equipped=True,
            weight=weight,
            value=10,
            description=described(LOREM[:200]),
        )
    actions = prop("folder", name="Actions", tab="actions")
    for name, bonus, damage, kind in (
        ("Mace", 3, "1d6", "bludgeoning"),
        ("Light Crossbow", 5, "1d8 + 2", "piercing"),
    ):
        action = prop(
            "action",
            actions,
            name=name,
            actionType="action",
            target="singleTarget",
            attackRoll=calc(f"{bonus}", bonus),
            resources={"itemsConsumed": [], "attributesConsumed": []},
            summary=described(f"Attack with your {name}."),
        )
        prop("damage", action, target="target", damageType=kind, amount=calc(damage, damage))
    spell_list = prop(
        "spellList",
        name="Cleric Spells",
        ability="wisdom",
        abilityMod=4,
        maxPrepared=calc("wisdom.modifier + cleric.level", 9),
        dc=calc("8 + proficiencyBonus + wisdom.modifier", 15),
        attackRollBonus=calc("proficiencyBonus + wisdom.modifier", 7),
    )
    for name, level in SPELLS:
        prop(
            "spell",
            spell_list,
            name=name,
            level=level,
            school="evocation",
            castingTime="action",
            range="60 feet",
            duration="Instantaneous",
            verbal=True,
            somatic=True,
            material="",
            concentration=False,
            ritual=False,
            prepared=True,
            actionType="action",
            target="singleTarget",
            resources={},
            summary=described(LOREM[:180]),
            description=described(LOREM * 2),
        )
    prop(
        "buff",
        name="Poisoned",
        target="self",
        description=described(
            "A poisoned creature has disadvantage on attack rolls and ability checks."
        ),
    )
    prop(
        "buff",
        name="Bless",
        target="self",
        removed=True,
        removedAt="2024-05-01T20:11:00.000Z",
        description=described("Ended: blessed until the end of the fight."),
    )
    return {
        "creatures": [
            {
                "_id": creature,
                "owner": new_id(),
                "name": "Brannoc Ashvale",
                "gender": "Male",
                "alignment": "Lawful Good",
                "allowedLibraries": [new_id()],
                "allowedLibraryCollections": [new_id()],
                "deathSave": {"pass": 0, "fail": 0, "canDeathSave": True, "stable": False},
                "denormalizedStats": {"xp": 6500, "milestoneLevels": 0},
                "type": "pc",
                "damageMultipliers": {"immunities": {}, "resistances": {}, "vulnerabilities": {}},
                "settings": {"showTreeTab": True, "hideUnusedStats": True},
                "readers": [],
                "writers": [],
                "public": False,
                "picture": "",
                "avatarPicture": "",
            }
        ],
        "creatureProperties": props,
        "creatureVariables": [{"_id": new_id(), "_creatureId": creature}],
    }


def roll20() -> dict[str, Any]:
    """Ysolde Marrow, a level 5 wood-elf ranger, as Roll20's Character Vault exports her."""
    new_id = Ids(20, string.ascii_letters + string.digits + "-_", 19, "-")
    attribs: list[dict[str, Any]] = []

    def attr(name: str, current: Any, maximum: Any = "") -> None:
        attribs.append({"name": name, "current": current, "max": maximum, "id": new_id()})

    scores = {
        "strength": 12,
        "dexterity": 18,
        "constitution": 14,
        "intelligence": 10,
        "wisdom": 16,
        "charisma": 8,
    }
    prof = 3
    attr("version", "4.21")
    attr("class", "Ranger")
    attr("base_level", "5")
    attr("level", 5)
    attr("class_display", "Ranger 5")
    attr("race", "Elf")
    attr("subrace", "Wood Elf")
    attr("race_display", "Wood Elf")
    attr("pb", prof)
    for name, score in scores.items():
        proficient = name in ("strength", "dexterity")
        attr(name, str(score))
        attr(f"{name}_base", str(score))
        attr(f"{name}_mod", mod(score))
        attr(f"{name}_save_prof", "(@{pb})" if proficient else 0)
        attr(f"{name}_save_bonus", mod(score) + (prof if proficient else 0))
    for var, ability in SKILLS.items():
        skill = "".join("_" + c.lower() if c.isupper() else c for c in var)
        proficient = skill in ("perception", "stealth", "survival", "animal_handling")
        attr(f"{skill}_prof", "(@{pb}*@{" + skill + "_type})" if proficient else 0)
        attr(f"{skill}_type", 1)
        attr(f"{skill}_bonus", mod(scores[ability]) + (prof if proficient else 0))
    attr("hp", 31, 44)
    attr("hp_temp", "")
    attr("ac", 16)
    attr("initiative_bonus", 4)
    attr("speed", "35")
    attr("passive_wisdom", 16)
    attr("spellcasting_ability", "@{wisdom_mod}+")
    attr("spell_attack_bonus", prof + mod(16))
    attr("spell_save_dc", 8 + prof + mod(16))
    weapons = (
        ("Longbow", "+7", "1d8+4", "Piercing"),
        ("Shortsword", "+7", "1d6+4", "Piercing"),
        ("Dagger", "+7", "1d4+4", "Piercing"),
    )
    for name, bonus, damage, kind in weapons:
        row = new_id()
        prefix = f"repeating_attack_{row}_"
        attr(prefix + "atkname", name)
        attr(prefix + "atkflag", "{{attack=1}}")
        attr(prefix + "atkattr_base", "@{dexterity_mod}")
        attr(prefix + "atkbonus", bonus)
        attr(prefix + "dmgbase", damage.split("+")[0])
        attr(prefix + "dmgattr", "@{dexterity_mod}")
        attr(prefix + "dmgtype", kind)
        attr(prefix + "atkdmgtype", f"{damage} {kind}")
        attr(prefix + "atkrange", "150/600" if name == "Longbow" else "")
        attr(prefix + "rollbase", "@{wtype}&{template:atkdmg} {{mod=@{atkbonus}}}")
    for level, name in (
        (1, "Hunter's Mark"),
        (1, "Cure Wounds"),
        (1, "Goodberry"),
        (1, "Fog Cloud"),
        (2, "Pass without Trace"),
        (2, "Spike Growth"),
    ):
        row = new_id()
        prefix = f"repeating_spell-{level}_{row}_"
        attr(prefix + "spellname", name)
        attr(prefix + "spelllevel", str(level))
        attr(prefix + "spellschool", "divination")
        attr(prefix + "spellcastingtime", "1 bonus action")
        attr(prefix + "spellrange", "90 feet")
        attr(prefix + "spellcomp_v", "{{v=1}}")
        attr(prefix + "spellduration", "Concentration, up to 1 hour")
        attr(prefix + "spelldescription", LOREM * 2)
        attr(prefix + "spellprepared", "1")
    for n, title in enumerate(
        (
            "Favored Enemy",
            "Natural Explorer",
            "Fighting Style: Archery",
            "Primeval Awareness",
            "Hunter's Prey: Colossus Slayer",
            "Extra Attack",
            "Mask of the Wild",
            "Fey Ancestry",
        )
    ):
        row = new_id()
        attr(f"repeating_traits_{row}_name", title)
        attr(f"repeating_traits_{row}_source", "Class" if n < 6 else "Racial")
        attr(f"repeating_traits_{row}_description", LOREM * 2)
    for item in ("Longbow", "Arrows (20)", "Shortsword", "Studded Leather", "Explorer's Pack"):
        row = new_id()
        attr(f"repeating_inventory_{row}_itemname", item)
        attr(f"repeating_inventory_{row}_itemcount", 1)
        attr(f"repeating_inventory_{row}_itemweight", 2)
        attr(f"repeating_inventory_{row}_itemcontent", LOREM[:200])
    abilities = [
        {
            "name": "Hunter's Mark",
            "description": "",
            "istokenaction": True,
            "action": "&{template:spell} {{name=Hunter's Mark}} [[1d6]]",
            "order": n,
        }
        for n in range(1)
    ]
    return {
        "schema_version": 2,
        "oldId": new_id(),
        "name": "Ysolde Marrow",
        "avatar": "https://s3.amazonaws.com/files.d20.io/images/0000000/ysolde/max.png",
        "bio": "<p>" + LOREM * 4 + "</p>",
        "gmnotes": "",
        "defaulttoken": "",
        "tags": "[]",
        "controlledby": "-Mplayer0000000000",
        "inplayerjournals": "all",
        "attribs": attribs,
        "abilities": abilities,
    }


def main() -> None:
    for name, data in (("dicecloud_cleric.json", dicecloud()), ("roll20_ranger.json", roll20())):
        (HERE / name).write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
