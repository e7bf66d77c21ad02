"""The one exception hierarchy of Core.

`StorageError` is the root. Refusals of a request (`RequestError`, and
`VersionConflictError`) are also the shared toolkit's `HttpError`, so Core's
app renders them through the one set of handlers in `core_client.web`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from core_client.contract.receipts import RefusedEvent
from core_client.web import HttpError
from core_client.web.errors import ErrorDetail


class StorageError(Exception):
    """Base of every error Core raises on purpose."""


class MigrationError(StorageError):
    """The database schema could not be brought to the current revision."""


class CryptoError(StorageError):
    """A key is malformed, or stored credentials do not decrypt."""


class RequestError(StorageError, HttpError):
    """Core refuses a request: a status, a machine code and a message (`field`, `id`)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        field: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, field=field)
        self.id = id

    def detail(self) -> ErrorDetail:
        """Return the error, with the id of the existing row for a duplicate."""
        detail = super().detail()
        detail.id = self.id
        return detail


class VersionConflictError(StorageError, HttpError):
    """A write named a version that is no longer current."""

    status = 409
    code = "version_conflict"

    def __init__(self, entity: str, current: int) -> None:
        self.entity = entity
        self.current = current
        super().__init__(f"the {entity} is at version {current}")

    def detail(self) -> ErrorDetail:
        """Return the error with the version to re-read."""
        detail = super().detail()
        detail.current_version = self.current
        return detail


class RefusedDetail(ErrorDetail):
    """The error of a delivery none of whose events is valid: each one named."""

    refused: list[RefusedEvent] = msgspec.field(default_factory=list)


class DeliveryRefusedError(RequestError):
    """Every event of a delivery is invalid: 422 naming the first, listing all."""

    def __init__(self, refused: Sequence[RefusedEvent]) -> None:
        first = refused[0]
        super().__init__(first.reason, status=422, code="invalid_body", field=first.field)
        self.refused = tuple(refused)

    def detail(self) -> ErrorDetail:
        """Return the error with every refused event."""
        base = super().detail()
        return RefusedDetail(
            code=base.code,
            message=base.message,
            field=base.field,
            refused=list(self.refused),
        )


class ClaimConflictError(StorageError, HttpError):
    """A game link names a VTT game or Discord channel another campaign holds."""

    status = 409
    code = "already_claimed"

    def __init__(self, field: str, holder: uuid.UUID) -> None:
        super().__init__(f"another campaign ({holder}) holds that {field}", field=field)
        self.holder = holder

    def detail(self) -> ErrorDetail:
        """Return the error with the campaign that holds the game or channel."""
        detail = super().detail()
        detail.held_by = str(self.holder)
        return detail
