"""The service's Prometheus metrics: AI tokens by provider, the outbox, the Discord relay.

One `ServiceMetrics` per service (made by the composition root, which hands
it to the AI reporter, the bot and the service app); `GET /metrics` on the
service serves it with the mounted bridge's. The outbox is read when
scraped; the relay's queue is set by its posters as lines come and go.
Discord's 429s are counted on the bot's own HTTP session (aiohttp's trace
hooks, which discord.py takes as `http_trace`), so each one counts, also
those discord.py waits out and retries without telling anyone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

from core_client import Outbox
from core_client.metrics import CollectorRegistry, new_registry

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServiceMetrics:
    """The service's own metrics, in their own registry."""

    registry: CollectorRegistry
    ai_tokens: Counter
    outbox_events: Gauge
    outbox_deferred: Gauge
    outbox_dead_letters: Gauge
    relay_queue: Gauge
    discord_rate_limited: Counter

    @classmethod
    def create(cls) -> ServiceMetrics:
        """Return fresh metrics in a new registry."""
        registry = new_registry()

        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(name, doc, registry=registry)

        return cls(
            registry=registry,
            ai_tokens=Counter(
                "fumblebot_ai_tokens",
                "AI tokens used, by provider and kind (prompt, completion)",
                ["provider", "kind"],
                registry=registry,
            ),
            outbox_events=gauge("fumblebot_outbox_events", "Reports queued for Core"),
            outbox_deferred=gauge(
                "fumblebot_outbox_deferred", "Queued reports held back alone after Core failed"
            ),
            outbox_dead_letters=gauge(
                "fumblebot_outbox_dead_letters", "Reports Core refused for good (fumblebot outbox)"
            ),
            relay_queue=gauge(
                "fumblebot_relay_queue_lines", "Relayed lines waiting to be posted to Discord"
            ),
            discord_rate_limited=Counter(
                "fumblebot_discord_rate_limited",
                "Discord answers of 429 Too Many Requests to the bot, retried ones included",
                registry=registry,
            ),
        )

    def discord_trace(self) -> aiohttp.TraceConfig:
        """Return the aiohttp trace that counts each 429 Discord answers the bot."""
        import aiohttp  # discord.py's own dependency: imported by the bot only

        trace = aiohttp.TraceConfig()

        async def ended(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            if params.response.status == 429:
                self.discord_rate_limited.inc()

        trace.on_request_end.append(ended)
        return trace

    def count_tokens(self, provider: str, prompt: int, completion: int) -> None:
        """Count one AI call's tokens."""
        self.ai_tokens.labels(provider, "prompt").inc(prompt)
        self.ai_tokens.labels(provider, "completion").inc(completion)

    async def read_outbox(self, outbox: Outbox) -> None:
        """Set the outbox gauges from its file (called per scrape)."""
        status = await outbox.status()
        self.outbox_events.set(status.count)
        self.outbox_deferred.set(status.deferred)
        self.outbox_dead_letters.set(len(await outbox.dead_letters()))
