"""Waiting for a log line, for tests whose only sign of an event is its log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator


class Seen(logging.Handler):
    """Sets `event` once a record containing `text` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@contextlib.contextmanager
def watch(logger: str, text: str) -> Iterator[Seen]:
    """Watch `logger` for a record containing `text` while in the block."""
    seen = Seen(text)
    logging.getLogger(logger).addHandler(seen)
    try:
        yield seen
    finally:
        logging.getLogger(logger).removeHandler(seen)
