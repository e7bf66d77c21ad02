"""Strict request schemas of the `/vtt` API, as msgspec Structs.

Every route decodes its body here before touching the domain, with the
contract's own field types (`core_client.contract.scalars`), so the text
and ids an extension may send are the ones Core accepts. Unknown fields are
refused (a typo must not be silently ignored), and each refusal is a
`RequestSchemaError` naming the field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec

from bridge.errors import RequestSchemaError
from core_client import Platform, RecordError, Visibility
from core_client.contract import codec
from core_client.contract.bus import MAX_AUDIENCE
from core_client.contract.scalars import MAX_ID, PRESENT, Id, Text

T = TypeVar("T")

VTT_PLATFORMS = (
    Platform.ROLL20,
    Platform.FOUNDRY,
    Platform.DNDBEYOND,
    Platform.BEYOND20,
    Platform.OWLBEAR,
)
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=PRESENT)]
FormatName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=PRESENT)]
Expression = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=PRESENT)]
# A random id per extension instance (the inject lease's holder): no spaces, URL-safe.
ClientId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Selector = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRESENT)]
Detail = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00\ud800-\udfff]*$")]
Version = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z.+_-]+$")]

__all__ = ["MAX_ID", "VTT_PLATFORMS"]


class _Request(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The base of every `/vtt` request body."""


class LinkRequest(_Request, frozen=True):
    code: Code
    platform: Platform
    player_id: Id

    def __post_init__(self) -> None:
        if self.platform not in VTT_PLATFORMS:
            allowed = ", ".join(p.value for p in VTT_PLATFORMS)
            raise RecordError("platform", f"must be one of {allowed}")


class RollItem(_Request, frozen=True):
    format: FormatName
    payload: Any
    echo_of: Id | None = None


class _Batch(_Request, frozen=True):
    game_id: Id
    items: list[Any]


class _Single(_Request, frozen=True):
    game_id: Id
    format: FormatName
    payload: Any
    echo_of: Id | None = None


@dataclass(frozen=True, slots=True)
class RollsRequest:
    """A decoded `POST /vtt/rolls`: its items, each parsed or its own error."""

    game_id: str
    items: tuple[RollItem | RequestSchemaError, ...]
    batch: bool


class ChatRequest(_Request, frozen=True):
    game_id: Id
    text: Text
    speaker: Id | None = None
    whisper_to: Annotated[tuple[Id, ...], msgspec.Meta(max_length=MAX_AUDIENCE)] = ()
    gm_only: bool = False
    source_id: Id | None = None
    echo_of: Id | None = None


class ServerRollRequest(_Request, frozen=True):
    game_id: Id
    expression: Expression
    label: Id | None = None
    visibility: Visibility = Visibility.PUBLIC


class InjectLeaseRequest(_Request, frozen=True):
    game_id: Id
    client_id: ClientId


class InjectLease(msgspec.Struct, frozen=True):
    """The answer to `POST /vtt/inject-lease`: does the asker hold the game's lease."""

    holder: bool
    holder_client_id: str | None
    expires_in: float  # seconds: until the lease lapses (holder) or may be asked for again


class ParseFailureKind(enum.StrEnum):
    """What an extension could not read from its VTT's page."""

    ROLL_MARKUP = "roll_markup"
    CHAT_MARKUP = "chat_markup"
    UNKNOWN_MESSAGE = "unknown_message"
    CHAT_INPUT = "chat_input"  # the chat box to type Discord's side into is gone


class ParseFailureRequest(_Request, frozen=True):
    kind: ParseFailureKind
    selector: Selector
    extension_version: Version
    detail: Detail = ""
    game_id: Id | None = None


def decode(body: object, kind: type[T], where: str = "") -> T:
    """Decode a parsed body as `kind`, or raise RequestSchemaError naming the field."""
    try:
        return codec.decode(body, kind, where)
    except RecordError as exc:
        raise RequestSchemaError(exc.problem, field=exc.field) from None


def link_request(body: object) -> LinkRequest:
    """Parse `POST /vtt/accounts/link`."""
    return decode(body, LinkRequest)


def rolls_request(body: object, max_batch: int) -> RollsRequest:
    """Parse `POST /vtt/rolls`: one item (`format`, `payload`) or a batch (`items`)."""
    if isinstance(body, Mapping) and "items" in body:
        batch = decode(body, _Batch)
        if not 1 <= len(batch.items) <= max_batch:
            raise RequestSchemaError(f"must be an array of 1 to {max_batch} items", field="items")
        parsed = tuple(_item_or_error(item, f"items[{i}]") for i, item in enumerate(batch.items))
        return RollsRequest(batch.game_id, parsed, batch=True)
    one = decode(body, _Single)
    return RollsRequest(one.game_id, (RollItem(one.format, one.payload, one.echo_of),), False)


def chat_request(body: object) -> ChatRequest:
    """Parse `POST /vtt/chat`."""
    return decode(body, ChatRequest)


def server_roll_request(body: object) -> ServerRollRequest:
    """Parse `POST /vtt/roll`."""
    return decode(body, ServerRollRequest)


def inject_lease_request(body: object) -> InjectLeaseRequest:
    """Parse `POST` and `DELETE /vtt/inject-lease`."""
    return decode(body, InjectLeaseRequest)


def parse_failure_request(body: object) -> ParseFailureRequest:
    """Parse `POST /vtt/parse-failures`."""
    return decode(body, ParseFailureRequest)


def _item_or_error(item: object, where: str) -> RollItem | RequestSchemaError:
    # One bad item must not sink the batch: its error becomes its result.
    try:
        return decode(item, RollItem, where)
    except RequestSchemaError as exc:
        return exc
