"""Overlay keys out of access logs: the one credential that stands in a URL.

uvicorn's access log prints every request's path, and an overlay URL is
`/overlay/<key>`. `RedactOverlayKeys` rewrites such a path to
`/overlay/<redacted>` in the record's arguments before any handler formats
it; `install` puts it on uvicorn's access logger (once, however many apps
are built), from `bridge.app.create_app`.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "/overlay/<redacted>"
# The key's segment, whatever it is: a mistyped key is still most of a key.
_KEY_PATH = re.compile(r"/overlay/(?!assets/)[^/?#\s\"]+")


def redact(text: str) -> str:
    """Return `text` with every overlay key in a path replaced."""
    return _KEY_PATH.sub(REDACTED, text)


class RedactOverlayKeys(logging.Filter):
    """Rewrite overlay paths in a log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/overlay/" in record.msg:
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a) if isinstance(a, str) and "/overlay/" in a else a for a in record.args
            )
        return True


def install(logger_name: str = ACCESS_LOGGER) -> None:
    """Put the filter on a logger unless it is there already."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactOverlayKeys) for f in logger.filters):
        logger.addFilter(RedactOverlayKeys())
