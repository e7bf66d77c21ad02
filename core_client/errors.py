"""The one exception hierarchy of the Core SDK.

Everything `core_client` raises derives from `CoreClientError`, so callers can
catch the SDK's failures without catching their own bugs.
"""

from __future__ import annotations


class CoreClientError(Exception):
    """Base of every error the Core SDK raises."""


class RecordError(CoreClientError, ValueError):
    """A wire record is malformed; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class SignatureError(CoreClientError):
    """A webhook signature is missing, malformed, stale or wrong."""


class DeliveryError(CoreClientError):
    """Core could not be reached, or refused an event."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = True) -> None:
        self.status = status
        self.retryable = retryable
        super().__init__(message)


class ApiError(CoreClientError):
    """Core refused a query or write; `code` is Core's machine-readable reason."""

    def __init__(self, message: str, *, status: int, code: str, field: str | None = None) -> None:
        self.status = status
        self.code = code
        self.field = field
        super().__init__(message)


class AuthError(ApiError):
    """The API key is missing, unknown, or not allowed to do this."""


class NotFoundError(ApiError):
    """No such thing, or the API key may not see it."""


class ConflictError(ApiError):
    """A write named a stale version; `current_version` is the one to re-read."""

    def __init__(
        self, message: str, *, status: int, code: str, current_version: int | None
    ) -> None:
        self.current_version = current_version
        super().__init__(message, status=status, code=code)
