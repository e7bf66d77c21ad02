"""Keep a character's summary in step with its sheet.

Core derives the summary itself, on every write of a character, from the
source JSON it stores (`core_client.sheets`): no client can send a summary
that disagrees with the sheet, and every way a character arrives (the query
API, a `character.upserted` event from a VTT) gets one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core_client import sheets
from core_client.contract import codec
from storage.models import Character


def of(platform: str, source: Any, name: str) -> dict[str, Any] | None:
    """Return the stored form of a sheet's summary (None when it has none)."""
    summary = sheets.summarize(platform, source, name)
    return None if summary is None else codec.to_builtins(summary)


def refresh(character: Character) -> None:
    """Set the character's summary from its source JSON."""
    character.summary = of(character.source_platform, character.source_json, character.name)


def with_summary(character: Character, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return `values` to write to `character`, with the summary of the result added."""
    merged = {
        key: values.get(key, getattr(character, key))
        for key in ("source_platform", "source_json", "name")
    }
    summary = of(merged["source_platform"], merged["source_json"], merged["name"])
    return {**values, "summary": summary}
