"""Prometheus text exposition, shared by Core, the bridge and the service.

Each app instance owns its own `CollectorRegistry`, made when the app is
built, never the library's global one: two apps in one process (tests, or
`fumblebot run`) would otherwise share counters, and a second app would fail
registering the same names. Served at `GET /metrics`, unauthenticated like
`/health`: counts and latencies only, never user content.
"""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def new_registry() -> CollectorRegistry:
    """Return an empty registry for one app instance."""
    return CollectorRegistry(auto_describe=True)


def exposition(*registries: CollectorRegistry) -> bytes:
    """Return the registries' metrics in Prometheus text format (names must not overlap)."""
    return b"".join(generate_latest(registry) for registry in registries)


__all__ = ["CONTENT_TYPE", "CollectorRegistry", "exposition", "new_registry"]
