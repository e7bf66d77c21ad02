from __future__ import annotations

import time

import pytest

from core_client import SignatureError, signing

GOLDEN_KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GOLDEN_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
GOLDEN_TS = 1614265330
GOLDEN_BODY = b'{"test": 2432232314}'
GOLDEN_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str, msg_id: str = GOLDEN_ID, ts: int = GOLDEN_TS) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_sign_matches_the_standard_webhooks_golden_vector() -> None:
    signed = signing.sign([GOLDEN_KEY], GOLDEN_ID, GOLDEN_BODY, timestamp=GOLDEN_TS)
    assert signed.signature == GOLDEN_SIG


def test_verify_accepts_the_golden_vector_within_tolerance() -> None:
    key = signing.decode_secret(GOLDEN_KEY)
    msg_id = signing.verify([key], headers(GOLDEN_SIG), GOLDEN_BODY, now=GOLDEN_TS + 299)
    assert msg_id == GOLDEN_ID


def test_verify_accepts_any_of_several_signatures_for_key_rotation() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    signed = signing.sign([old, new], "msg_1", b"{}")
    assert len(signed.signature.split()) == 2
    # A receiver that already dropped the old key still verifies.
    assert signing.verify([signing.decode_secret(new)], signed.as_dict(), b"{}") == "msg_1"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("v1", "no v1 signature"),
        ("v1,", "no v1 signature"),
        ("v1,a,b", "no signature matches"),
        ("v1,!!!notbase64", "no signature matches"),
        ("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "no v1 signature"),
        ("v1,AAAAg0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "no signature matches"),
        (" ".join(["v1,x"] * 11), "more than 10 signatures"),
    ],
)
def test_verify_refuses_malformed_or_wrong_signatures(header: str, reason: str) -> None:
    key = signing.decode_secret(GOLDEN_KEY)
    with pytest.raises(SignatureError, match=reason):
        signing.verify([key], headers(header), GOLDEN_BODY, now=GOLDEN_TS)


@pytest.mark.parametrize(
    ("hdrs", "reason"),
    [
        ({}, "missing"),
        ({"webhook-id": "x", "webhook-timestamp": "1"}, "missing"),
        (headers(GOLDEN_SIG, ts=GOLDEN_TS) | {"webhook-timestamp": "12a"}, "Unix seconds"),
        (headers(GOLDEN_SIG, ts=GOLDEN_TS) | {"webhook-timestamp": "-5"}, "Unix seconds"),
        (headers(GOLDEN_SIG, msg_id="x" * 300), "longer than 256"),
    ],
)
def test_verify_refuses_missing_or_malformed_headers(hdrs: dict[str, str], reason: str) -> None:
    key = signing.decode_secret(GOLDEN_KEY)
    with pytest.raises(SignatureError, match=reason):
        signing.verify([key], hdrs, GOLDEN_BODY, now=GOLDEN_TS)


@pytest.mark.parametrize("skew", [-301, 301, 10**6])
def test_verify_refuses_stale_or_future_timestamps(skew: int) -> None:
    key = signing.decode_secret(GOLDEN_KEY)
    with pytest.raises(SignatureError, match="from now"):
        signing.verify([key], headers(GOLDEN_SIG), GOLDEN_BODY, now=GOLDEN_TS + skew)


def test_verify_refuses_a_body_changed_after_signing() -> None:
    key = signing.decode_secret(GOLDEN_KEY)
    with pytest.raises(SignatureError, match="no signature matches"):
        signing.verify([key], headers(GOLDEN_SIG), b'{"test": 2432232315}', now=GOLDEN_TS)


@pytest.mark.parametrize(
    "secret", ["whsec_!!!", "whsec_" + "QUFB" * 2, "whsec_" + "QUFB" * 30, "not-a-secret!"]
)
def test_decode_secret_refuses_bad_secrets(secret: str) -> None:
    with pytest.raises(SignatureError):
        signing.decode_secret(secret)


def test_generated_secrets_are_distinct_and_usable() -> None:
    a, b = signing.generate_secret(), signing.generate_secret()
    assert a != b
    assert a.startswith("whsec_")
    signed = signing.sign([a], "m", b"x")
    assert signing.verify([signing.decode_secret(a)], signed.as_dict(), b"x", now=time.time())


@pytest.mark.parametrize("stamp", ["²", "1" * 13, "١٦١٤٢٦٥٣٣٠"])
def test_verify_refuses_non_ascii_or_overlong_timestamps(stamp: str) -> None:
    key = signing.decode_secret(GOLDEN_KEY)
    hdrs = headers(GOLDEN_SIG) | {"webhook-timestamp": stamp}
    with pytest.raises(SignatureError, match="Unix seconds"):
        signing.verify([key], hdrs, GOLDEN_BODY, now=GOLDEN_TS)
