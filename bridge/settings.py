"""The bridge's typed settings, filled once by the configuration loader."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Everything the bridge needs to start."""

    subscriber_queue: int = 256
    heartbeat_seconds: float = 15.0
    max_body_bytes: int = 262_144
    # Resume window: the last N events per game, and none older than this.
    history_per_topic: int = 1000
    history_seconds: float = 900.0
    cors_origins: tuple[str, ...] = ()
    # How long a write to one SSE client may block before it is dropped, so a
    # frozen client cannot stall the server's shutdown or its own queue.
    send_timeout: float = 10.0
    retry_ms: int = 3000
    pairing_code_seconds: float = 600.0
    stream_ticket_seconds: float = 30.0
    # Per token: `rate_burst` requests at once, then `rate_per_second`.
    rate_per_second: float = 5.0
    rate_burst: int = 30
    # Per client address, for the one unauthenticated route (linking), so
    # pairing codes cannot be guessed by brute force.
    link_rate_per_second: float = 0.2
    link_rate_burst: int = 10
    max_batch: int = 50
    # How long a VTT message id is remembered to drop duplicates and echoes.
    dedup_seconds: float = 900.0
    event_bus: str = "memory"  # memory | redis
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "fb:bridge"
    # Bearer keys of trusted services (Core's API key) for the `/v1` routes;
    # with none configured those routes refuse everyone.
    service_keys: tuple[str, ...] = field(default=(), repr=False)
    # Kept out of redis_url so the URL can be logged and shown.
    redis_password: str | None = field(default=None, repr=False)
    # Concurrent `/vtt/stream` connections one token may hold open.
    max_streams_per_token: int = 5
