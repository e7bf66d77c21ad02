"""Campaign context for a prompt: checked, fenced as untrusted data, trimmed to a budget.

Core returns the context of one campaign as a dict::

    {"campaign": {"id", "name", "settings"},
     "characters": [{"name", "owner", ...stats}],
     "recent_rolls": [{"actor_name", "formula", "total", "label", "crit", "fumble", "rolled_at"}],
     "open_session": {"started_at", "notes": [...]} | None,
     "active_character": {...} | None,        # the asking user's character
     "gm": str | None, "asking_player": str | None}   # display names, from Discord

Ids (Discord ids, UUIDs, keys) are left out of every item: the model reads names.

Isolation: `build_context` takes the asking channel's campaign id and raises
`AIContextError` unless the campaign and every item that names a campaign
match it, and it reads only the keys above (anything else in the dict is
ignored), so no other campaign's data can reach a prompt whatever the data says.

Untrusted text: every item is rendered as one JSON line (newlines escaped, `<`
escaped) inside a `<campaign_data>` block the text cannot close; the system
prompt tells the model that the block is data, never instructions.

Budget: tokens are estimated as characters / 4 (ceil), the usual rule of thumb
for English text; it errs high for plain prose, which keeps us under real limits.
Items go in most relevant first (the asking user's character, the open
session's notes newest first, the characters who rolled recently, recent
rolls newest first, the other characters); a character is its compact
summary (`bot.ai.sheets`), never its raw sheet. The first item that does not
fit is dropped with everything after it, so a less relevant item never
displaces a more relevant one. An item is never cut
in the middle, except that one over `MAX_ITEM_CHARS` is clipped first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.ai.errors import AIContextError
from bot.ai.providers.base import estimate_tokens
from bot.ai.sheets import character_data

log = logging.getLogger(__name__)

OPEN_TAG = "<campaign_data>"
CLOSE_TAG = "</campaign_data>"
MAX_ITEM_CHARS = 2000  # one huge sheet must not crowd out everything else


@dataclass(frozen=True, slots=True)
class ContextItem:
    """One line of campaign data with its kind (CAMPAIGN, CHARACTER, ROLL...)."""

    kind: str
    data: Mapping[str, Any]

    def render(self) -> str:
        """Return the item as one `KIND {json}` line no data can break out of."""
        body = json.dumps(self.data, ensure_ascii=False, default=str, sort_keys=True)
        if len(body) > MAX_ITEM_CHARS:
            clipped = {"truncated": body[:MAX_ITEM_CHARS]}
            body = json.dumps(clipped, ensure_ascii=False)
        # With `<` escaped, nothing inside can open or close a tag.
        escaped = body.replace("<", "\\u003c")
        return f"{self.kind} {escaped}"


@dataclass(frozen=True, slots=True)
class PromptContext:
    """The fenced data block for a prompt and what went into it."""

    text: str
    tokens: int
    included: int
    dropped: int
    campaign_name: str


def check_campaign(data: Mapping[str, Any], campaign_id: str) -> Mapping[str, Any]:
    """Return the campaign of `data`; raise `AIContextError` unless it is `campaign_id`."""
    campaign = data.get("campaign")
    if not isinstance(campaign, Mapping) or str(campaign.get("id")) != campaign_id:
        found = campaign.get("id") if isinstance(campaign, Mapping) else None
        raise _refusal(f"data of campaign {found!r} offered for campaign {campaign_id!r}")
    for key in ("characters", "recent_rolls", "rolls", "chat"):
        for item in _items(data.get(key)):
            _check_item(item, key, campaign_id)
    for key in ("open_session", "active_character", "session"):
        single = data.get(key)
        if isinstance(single, Mapping):
            _check_item(single, key, campaign_id)
            for note in _items(single.get("notes")):
                _check_item(note, f"{key} note", campaign_id)
    return campaign


def _check_item(item: Mapping[str, Any], where: str, campaign_id: str) -> None:
    owner = item.get("campaign_id")
    if owner is not None and str(owner) != campaign_id:
        raise _refusal(f"{where} of campaign {owner!r} in campaign {campaign_id!r}")


def _refusal(detail: str) -> AIContextError:
    """Return the error for mismatched data, logged: it means a bug or tampering upstream."""
    log.warning("campaign context refused: %s", detail)
    return AIContextError(
        f"The campaign data did not all belong to this channel's campaign, so the AI was "
        f"not asked ({detail}); refused."
    )


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [item for item in value if isinstance(item, Mapping)]


# The VTT's own payload, who took part by id, and row bookkeeping: nothing the
# model can use, all of it costing tokens.
OPAQUE_KEYS = frozenset(
    {"raw", "participants", "active_characters", "created_at", "updated_at", "version"}
)


def _opaque(key: str) -> bool:
    """Return whether a key holds an id (a Discord id, a UUID), never a name."""
    return key == "id" or key.endswith(("_id", "_ids", "_key")) or key in OPAQUE_KEYS


def _public(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return an item without ids: the model needs names (`actor_name`), and a raw
    Discord id in a prompt is both useless to it and personal data sent away."""
    return {k: v for k, v in item.items() if not _opaque(k)}


def _same_character(a: Mapping[str, Any], b: Mapping[str, Any] | None) -> bool:
    if b is None:
        return False
    if a.get("id") is not None and b.get("id") is not None:
        return bool(a.get("id") == b.get("id"))
    return bool(a.get("name") == b.get("name") and a.get("owner") == b.get("owner"))


def ranked_items(data: Mapping[str, Any]) -> list[ContextItem]:
    """Return the context items, most relevant first."""
    active = data.get("active_character")
    active = active if isinstance(active, Mapping) else None
    items: list[ContextItem] = []
    if active is not None:
        items.append(ContextItem("ASKING_PLAYER_CHARACTER", _character(active)))
    session = data.get("open_session")
    if isinstance(session, Mapping):
        items.append(ContextItem("OPEN_SESSION", {"started_at": session.get("started_at")}))
        notes = list(session.get("notes") or [])
        items += [ContextItem("SESSION_NOTE", _note(note)) for note in reversed(notes)]
    rolls = _items(data.get("recent_rolls"))
    rolls.sort(key=lambda roll: str(roll.get("rolled_at", "")), reverse=True)
    others = [c for c in _items(data.get("characters")) if not _same_character(c, active)]
    rolled = _rolled_recently(others, rolls)
    items += [ContextItem("CHARACTER", _character(character)) for character in rolled]
    items += [ContextItem("ROLL", _public(roll)) for roll in rolls]
    rest = [c for c in others if not any(c is r for r in rolled)]
    items += [ContextItem("CHARACTER", _character(character)) for character in rest]
    return items


def _rolled_recently(
    characters: list[Mapping[str, Any]], rolls: list[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """Return the characters of the rolls (newest first), by id, else by name."""
    found: list[Mapping[str, Any]] = []
    for roll in rolls:
        for character in characters:
            if any(character is f for f in found):
                continue
            by_id = roll.get("character_id") is not None and roll["character_id"] == character.get(
                "id"
            )
            named = roll.get("character_name") or roll.get("actor_name")
            if by_id or (named is not None and named == character.get("name")):
                found.append(character)
    return found


def _character(character: Mapping[str, Any]) -> dict[str, Any]:
    """Return a character's summary without ids, sized to fit one item."""
    return _public(character_data(character, MAX_ITEM_CHARS - 100))


def _note(note: Any) -> dict[str, Any]:
    return _public(note) if isinstance(note, Mapping) else {"text": str(note)}


def fence(lines: Iterable[str]) -> str:
    """Return lines wrapped in the untrusted-data block."""
    return "\n".join([OPEN_TAG, *lines, CLOSE_TAG])


def fit(header: str, items: Sequence[ContextItem], budget_tokens: int) -> tuple[list[int], int]:
    """Return the indexes of the items that fit after the header, and how many did not.

    The kept items are a prefix of `items`: once one does not fit, the rest
    (all less relevant) are dropped too, so relevance order is never inverted.
    """
    used = estimate_tokens(fence([header]))
    kept: list[int] = []
    for index, item in enumerate(items):
        used += estimate_tokens(item.render() + "\n")
        if used > budget_tokens:
            break
        kept.append(index)
    return kept, len(items) - len(kept)


def _header(campaign: Mapping[str, Any], people: Mapping[str, Any], **extra: Any) -> str:
    settings = campaign.get("settings")
    settings = _public(settings) if isinstance(settings, Mapping) else {}
    data = {"name": campaign.get("name"), "settings": settings, **_names(people), **extra}
    return ContextItem("CAMPAIGN", data).render()


def _names(data: Mapping[str, Any]) -> dict[str, str]:
    """Return the display names the caller resolved (`gm`, `asking_player`), if any."""
    return {k: str(data[k]) for k in ("gm", "asking_player") if isinstance(data.get(k), str)}


def _result(campaign: Mapping[str, Any], lines: list[str], dropped: int) -> PromptContext:
    if dropped:
        log.debug(
            "context for campaign %s: dropped %d items over budget", campaign.get("id"), dropped
        )
    text = fence(lines)
    name = str(campaign.get("name") or "this campaign")
    return PromptContext(text, estimate_tokens(text), len(lines) - 1, dropped, name)


def build_context(
    data: Mapping[str, Any], *, campaign_id: str, budget_tokens: int
) -> PromptContext:
    """Return the campaign's context fenced and trimmed to `budget_tokens`."""
    campaign = check_campaign(data, campaign_id)
    header = _header(campaign, data)
    items = ranked_items(data)
    kept, dropped = fit(header, items, budget_tokens)
    return _result(campaign, [header, *(items[i].render() for i in kept)], dropped)


def recap_items(data: Mapping[str, Any]) -> list[tuple[str, ContextItem]]:
    """Return a session's notes, chat and rolls as (time, item), most important first."""
    session = data.get("session")
    notes = list(session.get("notes") or []) if isinstance(session, Mapping) else []
    ranked = [("", ContextItem("SESSION_NOTE", _note(note))) for note in notes]
    chat = _items(data.get("chat"))
    ranked += [(str(m.get("sent_at", "")), ContextItem("CHAT", _public(m))) for m in chat]
    rolls = _items(data.get("rolls"))
    ranked += [(str(r.get("rolled_at", "")), ContextItem("ROLL", _public(r))) for r in rolls]
    return ranked


def build_recap_context(
    data: Mapping[str, Any], *, campaign_id: str, budget_tokens: int
) -> PromptContext:
    """Return a session's notes, chat and rolls, fenced, trimmed and in time order.

    `data` is `{"campaign", "session": {"started_at", "ended_at", "notes"},
    "chat": [{"author", "text", "sent_at"}], "rolls": [...]}`; notes are kept
    first, then chat, then rolls, and what is kept is shown oldest first.
    """
    campaign = check_campaign(data, campaign_id)
    session = data.get("session")
    when = (
        {k: session.get(k) for k in ("started_at", "ended_at")}
        if isinstance(session, Mapping)
        else {}
    )
    header = _header(campaign, data, session=when)
    ranked = recap_items(data)
    kept, dropped = fit(header, [item for _, item in ranked], budget_tokens)
    # Notes have no time and stay first; the rest reads as the session went.
    chosen = sorted((ranked[i] for i in kept), key=lambda pair: pair[0])
    return _result(campaign, [header, *(item.render() for _, item in chosen)], dropped)
