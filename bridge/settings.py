"""The bridge's settings, the `[bridge]` section: declared once, filled by the config loader."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from core_client.settings import Invalid, no_password_in_url, setting

EventBus = Literal["memory", "redis"]

EXTENSION_ORIGINS = (
    "https://app.roll20.net",
    "https://www.dndbeyond.com",
    "https://www.owlbear.rodeo",
)
# What a browser sends as `Origin`: scheme, host, optional port; no path, no wildcard.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")


def browser_origins(origins: tuple[str, ...]) -> None:
    """Refuse `*` (any web page could post rolls with a stolen token) and non-origins."""
    for origin in origins:
        if "*" in origin:
            raise Invalid(
                f"{origin!r} would let every web page call the bridge",
                "list each origin, e.g. https://foundry.example.com:30000",
            )
        if not _ORIGIN.fullmatch(origin):
            raise Invalid(
                f"{origin!r} is not an origin (scheme://host[:port], no path)",
                "write it as the browser's address bar shows it, e.g. https://foundry.example.com",
            )


def public_url(url: str) -> None:
    """Refuse a public address that is not a plain http(s) URL (it is shown in Discord)."""
    if not url:
        return
    if not re.fullmatch(r"https?://[A-Za-z0-9.\[\]:-]{1,260}(/[A-Za-z0-9._~/-]*)?", url):
        raise Invalid(
            f"{url!r} is not an http(s) address without credentials, query or fragment",
            "write it as browsers reach the bridge, e.g. https://fumblebot.example.com",
        )


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Everything the bridge needs to start."""

    host: str = setting("127.0.0.1", "address the bridge listens on")
    port: int = setting(8711, "port the bridge listens on", min=1, max=65535)
    public_url: str = setting(
        "",
        "the bridge's address as browsers and OBS reach it, for overlay links;"
        " empty: http://host:port",
        check=public_url,
        example="https://fumblebot.example.com",
    )
    event_bus: EventBus = setting("memory", "event bus backend")
    redis_url: str = setting(
        "redis://127.0.0.1:6379/0",
        "Redis URL for event_bus = redis",
        # Kept apart from the password so the URL can be logged and shown.
        check=no_password_in_url(
            "redis://host:6379/0",
            "remove it from the URL and set FUMBLEBOT_REDIS_PASSWORD in the environment",
        ),
        example="redis://cache.internal:6380/2",
    )
    redis_prefix: str = setting("fb:bridge", "prefix of the bridge's Redis keys and streams")
    subscriber_queue: int = setting(256, "events buffered per SSE client", min=1, max=100_000)
    history_per_topic: int = setting(
        1000, "events kept per game for clients resuming with Last-Event-ID", min=1
    )
    history_seconds: float = setting(900.0, "longest an event is kept for resuming", min=1)
    # Per game, in memory, while someone streams it: a client whose socket
    # stalls for longer than this many events is dropped and resumes from the
    # history above.
    stream_window: int = setting(
        256, "recent events per game kept encoded for streams catching up", min=1, max=100_000
    )
    rate_per_second: float = setting(5.0, "requests per second per extension token", min=0.1)
    rate_burst: int = setting(30, "requests an extension token may make at once", min=1)
    # The one unauthenticated route (linking) is limited per client address,
    # so pairing codes cannot be guessed by brute force.
    link_rate_per_second: float = setting(
        0.2, "link attempts per second per client address", min=0.001
    )
    link_rate_burst: int = setting(10, "link attempts a client address may make at once", min=1)
    heartbeat_seconds: float = setting(15.0, "SSE heartbeat interval", min=1, max=60)
    # A frozen client must not stall the server's shutdown or its own queue.
    send_timeout: float = setting(
        10.0, "longest a write to one SSE client may block before it is dropped", min=0.1
    )
    retry_ms: int = setting(3000, "reconnect delay SSE clients are told, milliseconds", min=100)
    max_streams_per_token: int = setting(
        5, "concurrent /vtt/stream connections one token may hold open", min=1
    )
    stream_ticket_seconds: float = setting(
        30.0, "how long a /vtt/stream ticket lives", min=1, max=3600
    )
    inject_lease_seconds: float = setting(
        20.0,
        "how long a game's inject lease outlives its holder's last renewal (the holder"
        " renews every third of it)",
        min=3,
        max=600,
    )
    max_batch: int = setting(50, "events per batch request", min=1, max=1000)
    dedup_seconds: float = setting(
        900.0, "how long a VTT message id is remembered to drop duplicates and echoes", min=1
    )
    max_body_bytes: int = setting(262_144, "largest request body accepted", min=1024)
    cors_origins: tuple[str, ...] = setting(
        EXTENSION_ORIGINS,
        "origins allowed to call the bridge from a browser; Foundry is self-hosted,"
        " so add your Foundry's own origin, e.g. https://foundry.example.com:30000",
        check=browser_origins,
        example=(*EXTENSION_ORIGINS, "http://localhost:30000"),
    )
    # The bridge's own key: with none, the `/v1` routes refuse everyone. Core's
    # query key is deliberately not accepted, so a leaked one cannot inject
    # rolls into a campaign's stream.
    service_keys: tuple[str, ...] = setting(
        (),
        "bearer keys of the /v1 routes (trusted local tools), space-separated for rotation",
        secret=True,
    )
    redis_password: str | None = setting(
        None, "the Redis password", secret=True, env="FUMBLEBOT_REDIS_PASSWORD"
    )


def public_base_url(settings: BridgeSettings) -> str:
    """Return the bridge's public address, without a trailing slash."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"
