"""The bridge's Prometheus metrics: open SSE streams, the events delivered on them,
and the parse failures extensions report.

Read from the app's own stream registry when scraped, so nothing on the hot
path pays for them beyond one counter the registry already keeps. One
registry per app (`create_app`); the service's `GET /metrics` serves it
beside its own (the bridge is mounted inside the service app).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from core_client.metrics import CONTENT_TYPE, CollectorRegistry, exposition, new_registry

log = logging.getLogger(__name__)


class _StreamCollector(Collector):
    """Reads the open streams and deliveries of one bridge app at scrape time."""

    def __init__(self, app: Starlette) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        services = getattr(self._app.state, "services", None)  # None before start-up
        streams = services.streams if services is not None else None
        yield GaugeMetricFamily(
            "fumblebot_bridge_sse_connections",
            "Open /vtt/stream SSE connections",
            value=len(streams) if streams is not None else 0,
        )
        yield CounterMetricFamily(
            "fumblebot_bridge_sse_deliveries",
            "Events written to /vtt/stream SSE connections (one per event per client)",
            value=streams.delivered if streams is not None else 0,
        )
        failures = CounterMetricFamily(
            "fumblebot_bridge_parse_failures",
            "Reports from extensions that their VTT's page no longer parsed",
            labels=["platform", "kind"],
        )
        counts = services.parse_failures.counts if services is not None else {}
        for (platform, kind), count in sorted(counts.items()):
            failures.add_metric([platform, kind], count)
        yield failures


def registry_for(app: Starlette) -> CollectorRegistry:
    """Return a new registry reporting on `app`'s streams."""
    registry = new_registry()
    registry.register(_StreamCollector(app))
    return registry


async def serve(request: Request) -> Response:
    """Serve the bridge's metrics in Prometheus text format."""
    registry: CollectorRegistry = request.app.state.metrics
    return Response(exposition(registry), media_type=CONTENT_TYPE)
