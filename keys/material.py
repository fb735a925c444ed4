"""Key material at rest: private JWKs sealed for their kid, and the joserfc key objects built from rows."""

from __future__ import annotations

import json

from joserfc import jwk

from identity.sealing import seal, unseal

from .generate import NewKey
from .models import SigningKey


def sealing_context(kid: str) -> bytes:
    """Associated data of a private key's envelope: it opens only in the row of this kid."""
    return b"signing-key:" + kid.encode("ascii")


def seal_private_key(kek: bytes, key: NewKey) -> str:
    plaintext = json.dumps(key.private_jwk, sort_keys=True, separators=(",", ":")).encode()
    return seal(kek, plaintext, context=sealing_context(key.kid))


def private_key(kek: bytes, row: SigningKey) -> jwk.Key:
    """The private key of a live row (kid, alg and ``use=sig`` set), ready for joserfc and Authlib.

    Raises :class:`identity.sealing.UnsealFailed` when the key-encryption key is not the one that sealed it.
    """
    assert row.sealed_private_key is not None, "removed keys have no private material"
    private_jwk = json.loads(unseal(kek, row.sealed_private_key, context=sealing_context(row.kid)))
    return jwk.import_key(private_jwk)


def public_key(row: SigningKey) -> jwk.Key:
    return jwk.import_key(json.loads(row.public_jwk))
