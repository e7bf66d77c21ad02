"""The one exception hierarchy of the Core SDK.

Everything `core_client` raises derives from `CoreClientError`, so callers can
catch the SDK's failures without catching their own bugs.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core_client.contract.receipts import RefusedEvent


class CoreClientError(Exception):
    """Base of every error the Core SDK raises."""


class RecordError(CoreClientError, ValueError):
    """A wire record is malformed; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class MalformedJSONError(RecordError):
    """The bytes are not JSON we accept: malformed, NaN, bad UTF-8, too deep, huge integers."""

    def __init__(self, problem: str) -> None:
        super().__init__("body", problem)


class SignatureError(CoreClientError):
    """A webhook signature is missing, malformed, stale or wrong."""


class DeliveryFailure(enum.StrEnum):
    """Why a delivery did not arrive, which decides what the outbox does with it."""

    UNREACHABLE = "unreachable"  # no answer: connection refused, timeout
    UNAVAILABLE = "unavailable"  # 502/503/504: Core or what fronts it is down
    BROKEN = "broken"  # another 5xx: Core failed on this delivery, maybe on one event
    THROTTLED = "throttled"  # 408/425/429: Core asks for later
    UNAUTHORIZED = "unauthorized"  # 401/403: the sender's key, not the events
    MISDIRECTED = "misdirected"  # another 4xx (404, 405, ...): the sender's URL or version
    INVALID = "invalid"  # 400/413/422: the events themselves; resending cannot help


class DeliveryError(CoreClientError):
    """Core could not be reached, or refused a delivery; `failure` says which way."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        failure: DeliveryFailure = DeliveryFailure.UNREACHABLE,
        refused: tuple[RefusedEvent, ...] = (),
    ) -> None:
        self.status = status
        self.failure = failure
        self.refused = refused  # a 422's per-event reasons, when Core named them
        super().__init__(message)

    @property
    def retryable(self) -> bool:
        """Return False only if the events are at fault: resending them cannot succeed."""
        return self.failure is not DeliveryFailure.INVALID


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
