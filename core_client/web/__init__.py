"""The HTTP toolkit the three Starlette apps share: errors, bodies, keys, handlers.

Core, the bridge and the service app read bodies, check bearer keys and
render refusals only through this package, so a request is judged alike by
every app and every refusal is `{"error": {"code", "message", ...}}`.
"""

from __future__ import annotations

from core_client.web.body import read_bytes, read_json, require_json
from core_client.web.decode import decode_json
from core_client.web.errors import (
    BodyTooLargeError,
    ErrorBody,
    ErrorDetail,
    HttpError,
    InvalidBodyError,
    InvalidJSONError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from core_client.web.handlers import error_response, exception_handlers, json_response
from core_client.web.keys import bearer_token, digest, find_key, matches_digest, require_key

__all__ = [
    "BodyTooLargeError",
    "ErrorBody",
    "ErrorDetail",
    "HttpError",
    "InvalidBodyError",
    "InvalidJSONError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "bearer_token",
    "decode_json",
    "digest",
    "error_response",
    "exception_handlers",
    "find_key",
    "json_response",
    "matches_digest",
    "read_bytes",
    "read_json",
    "require_json",
    "require_key",
]
