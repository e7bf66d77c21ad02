"""Parse failures: extensions telling the bridge that a VTT page no longer reads as expected.

A Roll20 update that renames a class breaks every extension at once, and
players rarely file reports; the extension posts a small report instead
(`POST /vtt/parse-failures`), counted per platform and kind for `/metrics`
(`fumblebot_bridge_parse_failures_total`) so an alert can fire within hours.
Reports are logged at WARNING at most once per kind per minute, with the
selector and version only: the detail may hold a player's chat, so it is
logged at DEBUG and never above.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from bridge.schemas import ParseFailureRequest
from bridge.tokens import Grant

log = logging.getLogger(__name__)

LOG_EVERY = 60.0  # seconds between warnings of one kind


class ParseFailures:
    """Counts parse-failure reports by (platform, kind), logging each kind sparingly."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._clock = clock
        self._logged: dict[str, float] = {}

    def report(self, grant: Grant, request: ParseFailureRequest) -> None:
        """Count one report; warn about its kind unless warned within the last minute."""
        kind = request.kind.value
        self.counts[(grant.platform, kind)] += 1
        now = self._clock()
        last = self._logged.get(kind)
        if last is None or now - last >= LOG_EVERY:
            self._logged[kind] = now
            log.warning(
                "a %s extension (version %s) cannot read the page: %s at %r (%d so far)",
                grant.platform,
                request.extension_version,
                kind,
                request.selector,
                self.counts[(grant.platform, kind)],
            )
        log.debug("parse failure detail from %s: %r", grant.token_id, request.detail)
