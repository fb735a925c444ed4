"""Signing keys: generation, encryption at rest, rotation and the published key set.

The web layer builds one :class:`KeyRing` per app (loaded once before any request transaction) and
serves ``jwks_document()``; Authlib gets its key objects from ``KeyRing.private_key_set()``; the
provider signs and verifies its own JWTs with :func:`sign_jwt` and :func:`verify_jwt`; the ``idp keys``
command calls :func:`ensure_keys`, :func:`list_keys` and :func:`rotate_keys`. Private keys are sealed
with ``identity.sealing``. This package never imports Flask or ``idp``.
"""

from .errors import (
    ExpiredToken,
    InvalidToken,
    KeysError,
    NextKeyNotPublished,
    NoActiveKey,
    UnknownKid,
    UnsupportedAlgorithm,
)
from .generate import key_id, parse_algorithm
from .keyset import KeyRing
from .models import Algorithm, KeyState, SigningKey
from .policy import CLOCK_SKEW, KeyPolicy
from .rotation import (
    AUTOMATIC_ACTOR,
    MaintenanceReport,
    Rotation,
    ensure_keys,
    list_keys,
    rotate_keys,
    run_due_maintenance,
)
from .signing import MAX_TOKEN_LENGTH, sign_jwt, verify_jwt

__all__ = [
    "AUTOMATIC_ACTOR",
    "CLOCK_SKEW",
    "MAX_TOKEN_LENGTH",
    "Algorithm",
    "ExpiredToken",
    "InvalidToken",
    "KeyPolicy",
    "KeyRing",
    "KeyState",
    "KeysError",
    "MaintenanceReport",
    "NextKeyNotPublished",
    "NoActiveKey",
    "Rotation",
    "SigningKey",
    "UnknownKid",
    "UnsupportedAlgorithm",
    "ensure_keys",
    "key_id",
    "list_keys",
    "parse_algorithm",
    "rotate_keys",
    "run_due_maintenance",
    "sign_jwt",
    "verify_jwt",
]
