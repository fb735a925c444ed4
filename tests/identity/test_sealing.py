"""The key-encryption envelope: secrets open only with the same key, for the same purpose, unaltered."""

from __future__ import annotations

import base64

import pytest

from identity.sealing import UnsealFailed, seal, unseal

KEK = bytes(range(32))
SECRET = b"JBSWY3DPEHPK3PXP a TOTP seed or a private key"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_sealed_value_opens_with_the_same_key_and_context() -> None:
    sealed = seal(KEK, SECRET, context=b"totp:42")
    assert unseal(KEK, sealed, context=b"totp:42") == SECRET


def test_the_format_is_versioned_text_with_a_96_bit_nonce_and_no_plaintext() -> None:
    sealed = seal(KEK, SECRET, context=b"totp:42")
    version, nonce, ciphertext = sealed.split(".")
    assert version == "v1"
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12
    assert len(base64.urlsafe_b64decode(ciphertext + "==")) == len(SECRET) + 16  # GCM tag
    assert b"JBSWY3DP" not in sealed.encode()


def test_every_seal_uses_a_fresh_nonce() -> None:
    sealed = {seal(KEK, SECRET, context=b"totp:42") for _ in range(20)}
    assert len(sealed) == 20
    assert len({s.split(".")[1] for s in sealed}) == 20


def test_the_wrong_key_encryption_key_fails_clearly() -> None:
    sealed = seal(KEK, SECRET, context=b"totp:42")
    with pytest.raises(UnsealFailed, match="IDP_KEY_ENCRYPTION_KEY") as caught:
        unseal(bytes(32), sealed, context=b"totp:42")
    assert caught.value.code == "unseal_failed"


def test_a_value_moved_to_another_purpose_does_not_open() -> None:
    sealed = seal(KEK, SECRET, context=b"totp:42")
    with pytest.raises(UnsealFailed):
        unseal(KEK, sealed, context=b"totp:43")


@pytest.mark.parametrize("segment", [1, 2])
def test_any_flipped_bit_is_detected(segment: int) -> None:
    parts = seal(KEK, SECRET, context=b"totp:42").split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[segment] + "=="))
    raw[0] ^= 1
    parts[segment] = _b64(bytes(raw))
    with pytest.raises(UnsealFailed):
        unseal(KEK, ".".join(parts), context=b"totp:42")


@pytest.mark.parametrize(
    "sealed",
    [
        "",
        "v1.abc",
        "v2.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA",  # nonce too short
        "v1.AAAAAAAAAAAAAAAA.AAAA",  # shorter than a tag
        "v1.AAAAAAAAAAAAAAAA.!!!!!!!!!!!!!!!!!!!!!!",
        "v1.AAAAAAAAAAAAAAAA.ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
    ],
)
def test_malformed_or_unknown_versions_are_refused(sealed: str) -> None:
    with pytest.raises(UnsealFailed):
        unseal(KEK, sealed, context=b"totp:42")


def test_a_truncated_value_is_refused() -> None:
    sealed = seal(KEK, SECRET, context=b"totp:42")
    with pytest.raises(UnsealFailed):
        unseal(KEK, sealed[:-4], context=b"totp:42")


def test_a_key_of_the_wrong_size_or_a_missing_context_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal(b"short", SECRET, context=b"totp:42")
    with pytest.raises(ValueError, match="context"):
        seal(KEK, SECRET, context=b"")
