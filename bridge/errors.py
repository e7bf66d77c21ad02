"""The bridge's one exception hierarchy; each error knows its HTTP status.

Domain code raises these. `BridgeError` derives from the shared toolkit's
`HttpError`, so the app's one set of handlers (`core_client.web`) renders any
of them in the JSON shape every app uses, `{"error": {"code", "message",
"field"?}}`. Bodies that are not JSON, too large or not declared as JSON are
refused by the toolkit itself.
"""

from __future__ import annotations

from core_client.web import HttpError, UnauthorizedError
from core_client.web.errors import ErrorDetail


class BridgeError(HttpError):
    """Base of every refusal the bridge makes on purpose."""


class RequestSchemaError(BridgeError):
    """The JSON is well formed but not the shape the route accepts."""

    status = 422
    code = "invalid_request"


class FormatError(BridgeError):
    """A VTT payload is malformed or not a format the bridge knows."""

    status = 422
    code = "invalid_payload"


class BridgeAuthError(BridgeError, UnauthorizedError):
    """No usable credential: missing, malformed, unknown, expired or revoked."""

    realm = "fumblebot-bridge"


class ForbiddenError(BridgeError):
    """The credential is valid but does not cover what was asked."""

    status = 403
    code = "forbidden"


class BridgeNotFoundError(BridgeError):
    """What was asked for does not exist."""

    status = 404
    code = "not_found"


class UnavailableError(BridgeError):
    """The bridge is shutting down; try again (another instance) shortly."""

    status = 503
    code = "shutting_down"

    def headers(self) -> dict[str, str]:
        """Suggest when to come back."""
        return {"Retry-After": "2"}


class CoreUnavailableError(UnavailableError):
    """Core cannot take more reports now (the outbox is full); retry later."""

    code = "core_unavailable"

    def headers(self) -> dict[str, str]:
        """Suggest when to come back."""
        return {"Retry-After": "30"}


class TooManyStreamsError(BridgeError):
    """The token already holds as many open streams as it may."""

    status = 429
    code = "too_many_streams"

    def headers(self) -> dict[str, str]:
        """Suggest when to come back (an old stream may have closed by then)."""
        return {"Retry-After": "5"}


class RateLimitedError(BridgeError):
    """The token spent its request budget; retry after `retry_after` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many requests; retry in {retry_after:.1f} s")
        self.retry_after = retry_after

    def detail(self) -> ErrorDetail:
        """Return the error with the wait in seconds."""
        detail = super().detail()
        detail.retry_after = round(self.retry_after, 3)
        return detail

    def headers(self) -> dict[str, str]:
        """Return Retry-After in whole seconds, rounded up."""
        return {"Retry-After": str(max(1, int(-(-self.retry_after // 1))))}
