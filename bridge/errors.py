"""The bridge's one exception hierarchy; each error knows its HTTP status.

Domain code raises these; the routes turn any of them into the JSON error
shape `{"error": {"code", "message", "field"?}}`, so every refusal reads alike.
"""

from __future__ import annotations

from typing import Any


class BridgeError(Exception):
    """Base of every refusal the bridge makes on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        """Return the JSON error body for this refusal."""
        error: dict[str, Any] = {"code": self.code, "message": str(self)}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}

    def headers(self) -> dict[str, str]:
        """Return extra response headers the refusal needs."""
        return {}


class InvalidJSONError(BridgeError):
    """The body is not JSON at all."""

    status = 400
    code = "invalid_json"


class BodyTooLargeError(BridgeError):
    """The body is over the configured limit."""

    status = 413
    code = "body_too_large"


class RequestSchemaError(BridgeError):
    """The JSON is well formed but not the shape the route accepts."""

    status = 422
    code = "invalid_request"


class FormatError(BridgeError):
    """A VTT payload is malformed or not a format the bridge knows."""

    status = 422
    code = "invalid_payload"


class AuthError(BridgeError):
    """No usable credential: missing, malformed, unknown, expired or revoked."""

    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        """Tell the client which scheme to use."""
        return {"WWW-Authenticate": 'Bearer realm="fumblebot-bridge"'}


class ForbiddenError(BridgeError):
    """The credential is valid but does not cover what was asked."""

    status = 403
    code = "forbidden"


class NotFoundError(BridgeError):
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

    def body(self) -> dict[str, Any]:
        """Return the error body with the wait in seconds."""
        body = super().body()
        body["error"]["retry_after"] = round(self.retry_after, 3)
        return body

    def headers(self) -> dict[str, str]:
        """Return Retry-After in whole seconds, rounded up."""
        return {"Retry-After": str(max(1, int(-(-self.retry_after // 1))))}
