"""AES-GCM encryption of credentials at rest."""

from __future__ import annotations

import pytest

from storage.crypto import CredentialCipher, generate_key
from storage.errors import CryptoError


def test_round_trip_and_fresh_nonces() -> None:
    cipher = CredentialCipher(generate_key())
    a, b = cipher.encrypt({"t": "x"}, "acct:1"), cipher.encrypt({"t": "x"}, "acct:1")
    assert a != b
    assert cipher.decrypt(a, "acct:1") == {"t": "x"}


@pytest.mark.parametrize(
    ("blob_change", "context", "key_change"),
    [
        (lambda b: b, "acct:2", False),  # copied onto another account
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "acct:1", False),  # tampered
        (lambda b: b, "acct:1", True),  # another key
        (lambda b: b"\x02" + b[1:], "acct:1", False),  # unknown format
    ],
)
def test_tampering_or_misuse_does_not_decrypt(blob_change, context, key_change) -> None:  # type: ignore[no-untyped-def]
    cipher = CredentialCipher(generate_key())
    blob = blob_change(cipher.encrypt("secret", "acct:1"))
    reader = CredentialCipher(generate_key()) if key_change else cipher
    with pytest.raises(CryptoError):
        reader.decrypt(blob, context)


@pytest.mark.parametrize("key", ["", "!!!", "QUFB"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(CryptoError):
        CredentialCipher(key)
