"""Webhook signing in the Standard Webhooks style.

The signed content is ``{id}.{timestamp}.{body}`` over the exact bytes sent;
the ``webhook-signature`` header is a space-separated list of ``v1,<base64>``
entries so a sender can sign with an old and a new key while keys rotate.
Verification never raises anything but `SignatureError`: a malformed header
is the sender's fault, not a server error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core_client.errors import SignatureError

PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds either side of now, per the spec
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
MAX_SIGNATURES = 10  # bounds the work one header can ask of us


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The three headers that carry a signature."""

    id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        """Return the headers ready to send."""
        return {
            "webhook-id": self.id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
        }


def generate_secret() -> str:
    """Return a new random signing secret in the `whsec_` form."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def decode_secret(secret: str) -> bytes:
    """Return the key bytes of a `whsec_` secret, or raise SignatureError."""
    body = secret.removeprefix(PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signing secret is not valid base64 after 'whsec_'") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise SignatureError(
            f"the signing secret decodes to {len(key)} bytes; "
            f"it must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES}"
        )
    return key


def compute(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the base64 HMAC-SHA256 of one message."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def sign(
    secrets_: Iterable[str], msg_id: str, body: bytes, *, timestamp: int | None = None
) -> SignedHeaders:
    """Sign a body with every given secret, for delivery with its headers."""
    ts = int(time.time()) if timestamp is None else timestamp
    parts = [f"v1,{compute(decode_secret(s), msg_id, ts, body)}" for s in secrets_]
    if not parts:
        raise SignatureError("no signing secret is configured")
    return SignedHeaders(id=msg_id, timestamp=ts, signature=" ".join(parts))


def verify(
    keys: Iterable[bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> str:
    """Check a delivery's signature and freshness; return its webhook-id."""
    msg_id = headers.get("webhook-id", "")
    raw_ts = headers.get("webhook-timestamp", "")
    header = headers.get("webhook-signature", "")
    if not msg_id or not raw_ts or not header:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if len(msg_id) > 256:
        raise SignatureError("webhook-id is longer than 256 characters")
    timestamp = _parse_timestamp(raw_ts)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"webhook-timestamp is more than {tolerance} s from now")
    offered = _parse_signatures(header)
    for key in keys:
        expected = compute(key, msg_id, timestamp, body).encode()
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return msg_id
    raise SignatureError("no signature matches")


def _parse_timestamp(raw: str) -> int:
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise SignatureError("webhook-timestamp must be Unix seconds")
    return int(raw)


def _parse_signatures(header: str) -> list[bytes]:
    entries = header.split()
    if len(entries) > MAX_SIGNATURES:
        raise SignatureError(f"more than {MAX_SIGNATURES} signatures in webhook-signature")
    found = []
    for entry in entries:
        version, sep, value = entry.partition(",")
        # Unknown versions are skipped, not refused, so a sender may add a
        # newer scheme beside v1 without breaking us.
        if sep and version == "v1" and value:
            found.append(value.encode())
    if not found:
        raise SignatureError("webhook-signature has no v1 signature")
    return found
