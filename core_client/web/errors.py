"""The refusals an HTTP app built on the shared toolkit makes, and their one JSON shape.

Every refusal, from any of the three apps, is `{"error": {"code", "message",
"field"?, ...}}` (`ErrorBody`). `HttpError` is the root: it carries the
status, the machine code, the message, the offending field and any headers
the refusal needs. The apps derive their own errors from it (the bridge's
`BridgeError`, Core's `RequestError`), so one set of handlers renders all.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    """What went wrong: the inner object of every JSON error."""

    code: str
    message: str
    field: str | None = None
    retry_after: float | None = None
    current_version: int | None = None
    id: str | None = None  # the existing row of a `duplicate_key`
    held_by: str | None = None  # the campaign holding a game or channel (`already_claimed`)


class ErrorBody(msgspec.Struct):
    """The JSON body of every refusal: `{"error": {...}}`."""

    error: ErrorDetail


class HttpError(Exception):
    """Base of every refusal made on purpose; rendered as `ErrorBody`."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self._headers = dict(headers or {})

    def detail(self) -> ErrorDetail:
        """Return the inner error object; subclasses add what they carry."""
        return ErrorDetail(code=self.code, message=str(self), field=self.field)

    def body(self) -> ErrorBody:
        """Return the JSON error body of this refusal."""
        return ErrorBody(self.detail())

    def headers(self) -> dict[str, str]:
        """Return extra response headers the refusal needs."""
        return dict(self._headers)


class InvalidJSONError(HttpError):
    """The body is not JSON we accept (malformed, NaN, bad UTF-8, too deep...)."""

    status = 400
    code = "invalid_json"


class BodyTooLargeError(HttpError):
    """The body is over the route's limit."""

    status = 413
    code = "body_too_large"


class UnsupportedMediaTypeError(HttpError):
    """The body is not declared as `application/json`."""

    status = 415
    code = "unsupported_media_type"


class InvalidBodyError(HttpError):
    """The JSON is well formed but not the shape the route accepts."""

    status = 422
    code = "invalid_body"


class UnauthorizedError(HttpError):
    """No usable credential: missing, malformed or unknown."""

    status = 401
    code = "unauthorized"
    realm = "fumblebot"

    def headers(self) -> dict[str, str]:
        """Tell the client which scheme to use."""
        return {"WWW-Authenticate": f'Bearer realm="{self.realm}"', **super().headers()}
