"""Errors of the signing-key service, each with a stable ``code`` and a sentence for people.

They derive from :class:`identity.errors.IdentityError`, the project's domain-error base, so the ``idp``
command and the web layer map them like every other domain error.

Token errors form one family: :class:`ExpiredToken` and :class:`UnknownKid` are kinds of
:class:`InvalidToken`, so a caller that only catches ``InvalidToken`` rejects all of them (the safe
default); a caller that must tell them apart (``id_token_hint`` accepts expired tokens) catches the
narrower class first.
"""

from __future__ import annotations

from identity.errors import IdentityError


class KeysError(IdentityError):
    """Base class of the signing-key errors."""

    code = "keys_error"


class UnsupportedAlgorithm(KeysError):
    """The caller asked for an algorithm this service does not sign with (only RS256, ES256, EdDSA)."""

    code = "unsupported_algorithm"


class NoActiveKey(KeysError):
    """There is no current key for this algorithm yet (the key ring was not bootstrapped)."""

    code = "no_active_key"


class NextKeyNotPublished(KeysError):
    """A rotation now would let a key sign before relying parties can have fetched it (use ``force`` for a
    compromised key, accepting that some of them fail to verify new tokens until they refetch the JWKS)."""

    code = "next_key_not_published"


class InvalidToken(KeysError):
    """A token that must not be trusted: malformed, too long, wrong algorithm, bad signature, not yet valid."""

    code = "invalid_token"


class ExpiredToken(InvalidToken):
    """A genuine token of ours whose ``exp`` has passed."""

    code = "expired_token"


class UnknownKid(InvalidToken):
    """The ``kid`` names no key that we publish (never ours, or removed after its tokens expired)."""

    code = "unknown_kid"
