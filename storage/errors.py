"""The one exception hierarchy of Core.

`StorageError` is the root. Refusals of a request (`RequestError`, and
`VersionConflictError`) are also the shared toolkit's `HttpError`, so Core's
app renders them through the one set of handlers in `core_client.web`.
"""

from __future__ import annotations

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
