"""The outbox's settings (`[outbox]`), declared once.

`Outbox` takes its defaults from these declarations, so the file, the
environment and a bare `Outbox(path, deliver)` can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_client.settings import setting


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """How the service's durable outbox delivers its reports to Core."""

    max_events: int = setting(100_000, "events kept while Core is unreachable", min=10)
    # Core spends about a millisecond of CPU on each delivery whatever its size
    # (docs/benchmarks.md, "Core ingest"): a backlog drains in full deliveries,
    # so the larger the batch, the less of Core it takes. A quiet outbox sends
    # what is due at once and never waits for a batch to fill.
    batch_size: int = setting(500, "most events per delivery", min=1, max=500)
    # Below Core's default `max_body_bytes` (1 MiB), so a batch of large VTT
    # rolls goes whole instead of being refused as too large and halved.
    batch_bytes: int = setting(
        524_288, "most bytes of events per delivery (one event always goes)", min=1024
    )
    base_delay: float = setting(0.5, "first wait before a retry, seconds", min=0.01)
    max_delay: float = setting(60.0, "longest wait between retries, seconds", min=0.1)
    warn_ratio: float = setting(0.8, "warn when the outbox is this full (0..1)", min=0.01, max=1)
    alert_interval: float = setting(
        60.0, "least time between two alerts of the same delivery failure, seconds", min=1
    )
    idle_poll: float = setting(
        30.0,
        "how often an idle outbox looks for dead letters put back by a retry, seconds",
        min=0.1,
    )
