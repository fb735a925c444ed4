"""The key-encryption envelope: secrets at rest sealed with AES-256-GCM under the key from the environment.

Private signing keys (``keys/``) and TOTP seeds are stored only in this form. A sealed value is text,
``v1.<nonce>.<ciphertext>`` in unpadded base64url, so it fits a ``TEXT`` column on every database and a
later ``v2`` (another cipher, or a rotated key-encryption key) can live beside it.

- The nonce is 96 random bits per seal. NIST SP 800-38D §8.3 allows 2^32 random-nonce seals under one
  key; this service seals a handful of signing keys and one seed per account, far below that.
- The *context* is authenticated as associated data: it names what the secret is for (for example
  ``b"signing-key:<kid>"``), so a sealed value copied into another row or used for another purpose
  does not open, even though every value shares one key-encryption key.
- Any failure to open (altered text, wrong context, wrong key-encryption key) is one domain error,
  :class:`UnsealFailed`, that never says which part was wrong.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import IdentityError

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
#: AES-GCM appends a 16-byte tag; shorter ciphertexts cannot be genuine.
_TAG_BYTES = 16
#: Prefixed to the caller's context so that a future envelope version never shares associated data.
_AAD_PREFIX = b"idp-seal-v1\x00"


class UnsealFailed(IdentityError):
    """A sealed value did not open: altered, sealed for another purpose, or under another key."""

    code = "unseal_failed"


def seal(key: bytes, plaintext: bytes, *, context: bytes) -> str:
    """Encrypt and authenticate *plaintext* for *context*; returns ``v1.<nonce>.<ciphertext>``."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = _cipher(key).encrypt(nonce, plaintext, _associated_data(context))
    return f"{VERSION}.{_encode(nonce)}.{_encode(ciphertext)}"


def unseal(key: bytes, sealed: str, *, context: bytes) -> bytes:
    """The plaintext of a value sealed by :func:`seal` with the same key and context, or :class:`UnsealFailed`."""
    cipher, associated_data = _cipher(key), _associated_data(context)
    parts = sealed.split(".") if isinstance(sealed, str) else []
    if len(parts) != 3 or parts[0] != VERSION:
        raise UnsealFailed("The stored secret is not a sealed value this service can read (unknown format or version).")
    nonce, ciphertext = _decode(parts[1]), _decode(parts[2])
    if nonce is None or ciphertext is None or len(nonce) != NONCE_BYTES or len(ciphertext) < _TAG_BYTES:
        raise UnsealFailed("The stored secret is damaged: its sealed text is malformed.")
    try:
        return cipher.decrypt(nonce, ciphertext, associated_data)
    except InvalidTag:
        raise UnsealFailed(
            "The stored secret could not be opened: it was altered, belongs to another record, "
            "or IDP_KEY_ENCRYPTION_KEY is not the key that sealed it."
        ) from None


def _cipher(key: bytes) -> AESGCM:
    # Settings validation guarantees 32 bytes; anything else here is a programming error, not bad data.
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError("the key-encryption key must be exactly 32 bytes (AES-256)")
    return AESGCM(key)


def _associated_data(context: bytes) -> bytes:
    if not context:
        raise ValueError("a sealing context is required: it binds the secret to its purpose")
    return _AAD_PREFIX + context


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
