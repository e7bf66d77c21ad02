"""Request bodies every JSON route must refuse with a JSON 4xx, never a 500.

Shared by the toolkit's tests and each app's edge tests, so all three apps
are held to one list.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class BadBody:
    """A body, how it is declared, and the refusal it must get."""

    name: str
    content: bytes
    status: int
    code: str
    content_type: str = JSON

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type}


def bad_bodies(limit: int) -> list[BadBody]:
    """Return the bodies to try on a route that reads at most `limit` bytes.

    The deep body is 100k `[` (or as many as the limit lets through), so it
    reaches the decoder rather than the size check.
    """
    return [
        BadBody("deep nesting", b"[" * min(100_000, limit), 400, "invalid_json"),
        BadBody("moderate nesting", b'{"a": ' * 40 + b"1" + b"}" * 40, 400, "invalid_json"),
        BadBody("5000-digit int", b'{"a": ' + b"9" * 5000 + b"}", 422, "invalid_body"),
        BadBody("25-digit int", b'{"a": ' + b"9" * 25 + b"}", 422, "invalid_body"),
        BadBody("NaN", b'{"a": NaN}', 422, "invalid_body"),
        BadBody("Infinity", b'{"a": Infinity}', 422, "invalid_body"),
        BadBody("lone surrogate", b'{"a": "\\ud800"}', 422, "invalid_body"),
        BadBody("invalid UTF-8", b'{"a": "\xff\xfe"}', 400, "invalid_json"),
        BadBody("malformed", b"{nope", 400, "invalid_json"),
        BadBody("empty", b"", 400, "invalid_json"),
        BadBody("text/plain", b"{}", 415, "unsupported_media_type", "text/plain"),
        BadBody("no content type", b"{}", 415, "unsupported_media_type", ""),
        BadBody("oversized", b'{"a": "' + b"x" * (limit + 1) + b'"}', 413, "body_too_large"),
    ]


def assert_refusal(response: httpx2.Response, status: int, code: str) -> dict[str, object]:
    """Check `response` is the one JSON error shape with `status` and `code`."""

    assert response.headers["content-type"].startswith(JSON), response.text
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    error: dict[str, object] = response.json()["error"]
    assert isinstance(error["message"], str)
    assert error["message"]
    assert "Traceback" not in response.text
    return error
