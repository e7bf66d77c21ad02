"""Strict request schemas of the `/vtt` API: JSON in, typed requests out.

Every route parses its body here before touching the domain. Unknown fields
are refused (a typo must not be silently ignored), and each refusal is a
`RequestSchemaError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.errors import RequestSchemaError
from core_client import Platform, Visibility

VTT_PLATFORMS = (
    Platform.ROLL20,
    Platform.FOUNDRY,
    Platform.DNDBEYOND,
    Platform.BEYOND20,
    Platform.OWLBEAR,
)
MAX_ID = 200
MAX_TEXT = 2000
MAX_EXPRESSION = 1000
MAX_WHISPER = 50


@dataclass(frozen=True, slots=True)
class LinkRequest:
    code: str
    platform: Platform
    player_id: str


@dataclass(frozen=True, slots=True)
class RollItem:
    format: str
    payload: Any
    echo_of: str | None = None


@dataclass(frozen=True, slots=True)
class RollsRequest:
    game_id: str
    items: tuple[RollItem | RequestSchemaError, ...]
    batch: bool


@dataclass(frozen=True, slots=True)
class ChatRequest:
    game_id: str
    text: str
    speaker: str | None = None
    whisper_to: tuple[str, ...] = ()
    gm_only: bool = False
    source_id: str | None = None
    echo_of: str | None = None


@dataclass(frozen=True, slots=True)
class ServerRollRequest:
    game_id: str
    expression: str
    label: str | None = None
    visibility: Visibility = Visibility.PUBLIC


def link_request(body: object) -> LinkRequest:
    """Parse `POST /vtt/accounts/link`."""
    obj = _object(body, {"code", "platform", "player_id"}, {"code", "platform", "player_id"})
    platform = _choice(obj["platform"], [p.value for p in VTT_PLATFORMS], "platform")
    return LinkRequest(
        code=_text(obj["code"], "code", 32),
        platform=Platform(platform),
        player_id=_text(obj["player_id"], "player_id", MAX_ID),
    )


def rolls_request(body: object, max_batch: int) -> RollsRequest:
    """Parse `POST /vtt/rolls`: one item (`format`, `payload`) or a batch (`items`)."""
    if isinstance(body, Mapping) and "items" in body:
        obj = _object(body, {"game_id", "items"}, {"game_id", "items"})
        items = obj["items"]
        if not isinstance(items, list) or not 1 <= len(items) <= max_batch:
            raise RequestSchemaError(f"must be an array of 1 to {max_batch} items", field="items")
        parsed = tuple(_item_or_error(item, f"items[{i}]") for i, item in enumerate(items))
        return RollsRequest(_text(obj["game_id"], "game_id", MAX_ID), parsed, batch=True)
    obj = _object(body, {"game_id", "format", "payload", "echo_of"}, {"game_id", "format"})
    item = _item({k: v for k, v in obj.items() if k != "game_id"}, "")
    return RollsRequest(_text(obj["game_id"], "game_id", MAX_ID), (item,), batch=False)


def chat_request(body: object) -> ChatRequest:
    """Parse `POST /vtt/chat`."""
    allowed = {"game_id", "text", "speaker", "whisper_to", "gm_only", "source_id", "echo_of"}
    obj = _object(body, allowed, {"game_id", "text"})
    whisper = obj.get("whisper_to", [])
    if not isinstance(whisper, list) or len(whisper) > MAX_WHISPER:
        raise RequestSchemaError(
            f"must be an array of at most {MAX_WHISPER} user ids", field="whisper_to"
        )
    gm_only = obj.get("gm_only", False)
    if not isinstance(gm_only, bool):
        raise RequestSchemaError("must be true or false", field="gm_only")
    return ChatRequest(
        game_id=_text(obj["game_id"], "game_id", MAX_ID),
        text=_text(obj["text"], "text", MAX_TEXT),
        speaker=_opt_text(obj.get("speaker"), "speaker", MAX_ID),
        whisper_to=tuple(_text(u, f"whisper_to[{i}]", MAX_ID) for i, u in enumerate(whisper)),
        gm_only=gm_only,
        source_id=_opt_text(obj.get("source_id"), "source_id", MAX_ID),
        echo_of=_opt_text(obj.get("echo_of"), "echo_of", MAX_ID),
    )


def server_roll_request(body: object) -> ServerRollRequest:
    """Parse `POST /vtt/roll`."""
    obj = _object(body, {"game_id", "expression", "label", "visibility"}, {"game_id", "expression"})
    visibility = _choice(
        obj.get("visibility", "public"), [v.value for v in Visibility], "visibility"
    )
    return ServerRollRequest(
        game_id=_text(obj["game_id"], "game_id", MAX_ID),
        expression=_text(obj["expression"], "expression", MAX_EXPRESSION),
        label=_opt_text(obj.get("label"), "label", MAX_ID),
        visibility=Visibility(visibility),
    )


def _item_or_error(item: object, where: str) -> RollItem | RequestSchemaError:
    # One bad item must not sink the batch: its error becomes its result.
    try:
        return _item(item, f"{where}.")
    except RequestSchemaError as exc:
        return exc


def _item(item: object, prefix: str) -> RollItem:
    obj = _object(item, {"format", "payload", "echo_of"}, {"format", "payload"}, prefix)
    return RollItem(
        format=_text(obj["format"], f"{prefix}format", 64),
        payload=obj["payload"],
        echo_of=_opt_text(obj.get("echo_of"), f"{prefix}echo_of", MAX_ID),
    )


def _object(
    body: object, allowed: set[str], required: set[str], prefix: str = ""
) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise RequestSchemaError("must be a JSON object", field=prefix.rstrip(".") or "body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestSchemaError(
            f"is not a known field; allowed: {', '.join(sorted(allowed))}",
            field=prefix + unknown[0],
        )
    missing = sorted(required - set(body))
    if missing:
        raise RequestSchemaError("is required", field=prefix + missing[0])
    return body


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestSchemaError("must be a non-empty string", field=field)
    if len(value) > limit:
        raise RequestSchemaError(f"must be at most {limit} characters", field=field)
    return value


def _opt_text(value: object, field: str, limit: int) -> str | None:
    return None if value is None else _text(value, field, limit)


def _choice(value: object, allowed: list[str], field: str) -> str:
    if value not in allowed:
        raise RequestSchemaError(f"must be one of {', '.join(allowed)}", field=field)
    return str(value)
