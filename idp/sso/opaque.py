"""Opaque secrets handed to browsers and clients (cookies, codes, refresh tokens) and their digests."""

from __future__ import annotations

import hashlib
import secrets

#: 256 bits: far above ASVS 11.5.1's 128-bit floor for unguessable values.
SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(value: str) -> str:
    """SHA-256 hex of a high-entropy secret; what the database keeps instead of the secret."""
    return hashlib.sha256(value.encode()).hexdigest()
