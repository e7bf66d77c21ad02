"""Encryption at rest for VTT credentials (AES-256-GCM).

Each value gets a fresh 96-bit nonce stored in front of the ciphertext, and
is bound to its account through the associated data, so a ciphertext copied
onto another account's row does not decrypt.

`cryptography` (about 7 MiB, its Rust extension) is imported when a key is
made or a cipher built: a Core without FUMBLEBOT_CORE_ENCRYPTION_KEY, which
refuses VTT credentials, never loads it (issue #16).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from typing import TYPE_CHECKING, Any

from storage.errors import CryptoError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

NONCE_BYTES = 12
FORMAT = b"\x01"  # lets a later key or algorithm coexist with this one


def generate_key() -> str:
    """Return a new random key in the form FUMBLEBOT_CORE_ENCRYPTION_KEY expects."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


class CredentialCipher:
    """Encrypt and decrypt JSON credentials with one AES-256-GCM key."""

    def __init__(self, key: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("the encryption key is not valid base64") from exc
        if len(raw) != 32:
            raise CryptoError(f"the encryption key decodes to {len(raw)} bytes; it must be 32")
        self._aead: AESGCM = AESGCM(raw)

    def encrypt(self, value: Any, context: str) -> bytes:
        """Encrypt a JSON value, bound to `context` (e.g. the account's identity)."""
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(value, separators=(",", ":")).encode()
        return FORMAT + nonce + self._aead.encrypt(nonce, plain, context.encode())

    def decrypt(self, blob: bytes, context: str) -> Any:
        """Decrypt a value made by `encrypt` with the same context."""
        if blob[:1] != FORMAT or len(blob) < 1 + NONCE_BYTES + 16:
            raise CryptoError("the stored credentials are not in a known format")
        from cryptography.exceptions import InvalidTag

        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag as exc:
            raise CryptoError("the stored credentials do not decrypt with this key") from exc
        return json.loads(plain)
