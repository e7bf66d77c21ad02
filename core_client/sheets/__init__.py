"""Compact character summaries, one pure extractor per sheet source.

`summarize(platform, source, name)` reads an export as its VTT wrote it and
returns the contract's `CharacterSummary`, or None when the source has no
extractor (a sheet typed in by hand) or nothing could be read. Extractors
never raise on a strange sheet: what they cannot read is left unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core_client.contract.enums import Platform
from core_client.contract.summary import CharacterSummary
from core_client.sheets import dicecloud, foundry, roll20

Extractor = Callable[[Mapping[str, Any], str], CharacterSummary | None]
EXTRACTORS: dict[Platform, Extractor] = {
    Platform.FOUNDRY: foundry.summarize,
    Platform.DICECLOUD: dicecloud.summarize,
    Platform.ROLL20: roll20.summarize,
}


def summarize(platform: Platform | str, source: Any, name: str) -> CharacterSummary | None:
    """Return the summary of a character's source JSON, or None if it has none."""
    try:
        extractor = EXTRACTORS.get(Platform(platform))
    except ValueError:
        return None
    if extractor is None or not isinstance(source, Mapping):
        return None
    return extractor(source, name)


__all__ = ["EXTRACTORS", "CharacterSummary", "summarize"]
