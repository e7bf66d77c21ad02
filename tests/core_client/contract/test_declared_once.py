"""Every enum and record bot, bridge and Core use is the one the contract declares.

The modules of all four packages are imported and searched: no enum or Struct
outside `core_client.contract` may repeat a contract name or its members, and
Core's ingest decodes each event type with the contract's Struct itself.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from types import ModuleType

import msgspec

import core_client
from core_client import contract
from core_client.contract import PAYLOADS, EventType, enums
from storage import ingest

PACKAGES = ("bot", "bridge", "core_client", "storage")
CONTRACT_ENUMS = [
    obj for obj in vars(enums).values() if isinstance(obj, type) and issubclass(obj, enum.Enum)
]
CONTRACT_STRUCTS = [
    obj
    for obj in vars(contract).values()
    if isinstance(obj, type) and issubclass(obj, msgspec.Struct)
]


def modules() -> list[ModuleType]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            found.append(importlib.import_module(info.name))
    return found


def declared_outside(kind: type) -> list[type]:
    """Return the `kind` subclasses defined in a module outside the contract."""
    classes = {
        obj
        for module in modules()
        if not module.__name__.startswith("core_client.contract")
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, kind) and obj.__module__ == module.__name__
    }
    return sorted(classes, key=lambda c: f"{c.__module__}.{c.__name__}")


def test_the_search_sees_the_whole_code_base() -> None:
    # A walk that found nothing would pass everything below.
    names = {m.__name__ for m in modules()}
    assert {"bot.characters", "bridge.schemas", "storage.ingest", "core_client.client"} <= names
    assert any(c.__name__ == "Advantage" for c in declared_outside(enum.Enum))
    assert any(c.__name__ == "LinkRequest" for c in declared_outside(msgspec.Struct))


def test_no_enum_outside_the_contract_copies_one_of_it() -> None:
    names = {e.__name__ for e in CONTRACT_ENUMS}
    members = [{m.value for m in e} for e in CONTRACT_ENUMS]
    for other in declared_outside(enum.Enum):
        values = {m.value for m in other}
        assert other.__name__ not in names, other
        assert not any(values <= theirs for theirs in members), (other, values)


def test_no_struct_outside_the_contract_copies_one_of_its_records() -> None:
    names = {s.__name__ for s in CONTRACT_STRUCTS}
    shapes = [set(s.__struct_fields__) for s in CONTRACT_STRUCTS if s.__struct_fields__]
    for other in declared_outside(msgspec.Struct):
        assert other.__name__ not in names, other
        assert set(other.__struct_fields__) not in shapes, other


def test_the_sdk_exports_the_contract_objects_themselves() -> None:
    for name in ("RollRecord", "DiceGroup", "Die", "Event", "EventType", "ChatMessage"):
        assert getattr(core_client, name) is getattr(contract, name)
    for name in ("Platform", "Visibility", "VttPlatform", "AiProvider"):
        assert getattr(core_client, name) is getattr(enums, name)
    assert "dicecloud" in {p.value for p in enums.Platform}


def test_core_ingest_decodes_each_event_type_with_the_contract_struct() -> None:
    assert ingest.PAYLOADS is contract.PAYLOADS
    assert set(PAYLOADS) == set(EventType) == set(ingest.HANDLERS)
    for kind, struct in PAYLOADS.items():
        assert getattr(contract, struct.__name__) is struct
        assert struct.event_type is kind
