"""The one thing bot and bridge need to report to Core."""

from __future__ import annotations

from typing import Protocol

from core_client.contract import Event


class Reporter(Protocol):
    """Accept an event for delivery to Core; the outbox is the production one."""

    async def put(self, event: Event) -> None: ...
