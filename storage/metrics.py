"""Core's Prometheus metrics: webhook deliveries and events by outcome, ingest latency.

One `CoreMetrics` per app (`create_app`); `GET /metrics` serves it. Refused
events are counted by the field refused (`occurred_at`, `data.total`), with
the `events[i].` prefix dropped so the label set stays bounded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response

from core_client.contract.receipts import DeliveryReceipt, RefusedEvent
from core_client.metrics import CONTENT_TYPE, CollectorRegistry, exposition, new_registry

log = logging.getLogger(__name__)

_EVENT_INDEX = re.compile(r"^events\[\d+\]\.?")


@dataclass(frozen=True, slots=True)
class CoreMetrics:
    """The counters Core keeps, in their own registry."""

    registry: CollectorRegistry
    deliveries: Counter
    events: Counter
    ingest_seconds: Histogram

    @classmethod
    def create(cls) -> CoreMetrics:
        """Return fresh metrics in a new registry."""
        registry = new_registry()
        return cls(
            registry=registry,
            deliveries=Counter(
                "fumblebot_core_webhook_deliveries",
                "Webhook deliveries by outcome (stored, bad_signature, body_too_large, "
                "invalid_body, storage_unavailable)",
                ["outcome"],
                registry=registry,
            ),
            events=Counter(
                "fumblebot_core_webhook_events",
                "Webhook events by outcome (accepted, duplicate, refused) and refused field",
                ["outcome", "reason"],
                registry=registry,
            ),
            ingest_seconds=Histogram(
                "fumblebot_core_ingest_seconds",
                "Time to store one verified delivery",
                registry=registry,
            ),
        )

    def refused(self, refused: tuple[RefusedEvent, ...] | list[RefusedEvent]) -> None:
        """Count refused events by the field each was refused for."""
        for r in refused:
            self.events.labels("refused", _EVENT_INDEX.sub("", r.field or "") or "event").inc()

    def stored(self, receipt: DeliveryReceipt) -> None:
        """Count a stored delivery's events."""
        self.deliveries.labels("stored").inc()
        self.events.labels("accepted", "").inc(receipt.accepted)
        self.events.labels("duplicate", "").inc(receipt.duplicates)
        self.refused(receipt.refused)


async def serve(request: Request) -> Response:
    """Serve Core's metrics in Prometheus text format."""
    metrics: CoreMetrics = request.app.state.metrics
    return Response(exposition(metrics.registry), media_type=CONTENT_TYPE)
