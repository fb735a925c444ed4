"""Claim release: which claims a portal receives, by scope, by its allowed scopes and the ``claims`` parameter.

OIDC Core 5.4 maps scopes to claims; 5.5 lets a portal ask for individual claims. A claim is released
only when the scope that carries it was granted, so the ``claims`` parameter can narrow or pick
claims but never widen what the citizen consented to and the client administrator allowed.
When an access token is issued, scope claims go to userinfo, and the ID token holds only what the
``claims`` parameter asks for there (as node-oidc-provider does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "family_name", "middle_name", "given_name", "birthdate", "gender", "updated_at"),
    "pin": ("pin",),
    "citizen_card": ("citizen_card", "nationality"),
    "address": ("address",),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}
CLAIM_SCOPE = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}
CLAIMS_SUPPORTED = ("sub", "iss", "auth_time", "acr", "amr", "sid", *CLAIM_SCOPE)


def parse_claims_request(raw: str | None) -> dict[str, dict[str, Any]] | None:
    """Validate the ``claims`` parameter (a JSON object with ``userinfo`` and/or ``id_token`` members)."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidRequestError("The 'claims' parameter is not valid JSON.") from None
    if not isinstance(value, dict) or not set(value) <= {"userinfo", "id_token"}:
        raise InvalidRequestError("The 'claims' parameter must be an object with 'userinfo' and/or 'id_token'.")
    for member in value.values():
        if member is not None and not isinstance(member, dict):
            raise InvalidRequestError("Each member of the 'claims' parameter must be an object.")
    return {k: v or {} for k, v in value.items()}


def scopes_for_claims(claims_request: Mapping[str, Mapping[str, Any]] | None) -> set[str]:
    """The scopes that carry the claims a portal asked for individually."""
    if not claims_request:
        return set()
    names = {name for member in claims_request.values() for name in member}
    return {CLAIM_SCOPE[name] for name in names if name in CLAIM_SCOPE}


def release(
    values: Mapping[str, Any],
    *,
    granted_scopes: Iterable[str],
    requested: Mapping[str, Any] | None,
    include_scope_claims: bool,
) -> dict[str, Any]:
    """Claims for one target (userinfo or ID token): scope claims if asked, plus individually requested ones."""
    granted = set(granted_scopes)
    names: set[str] = set()
    if include_scope_claims:
        names.update(claim for scope in granted for claim in SCOPE_CLAIMS.get(scope, ()))
    if requested:
        names.update(name for name in requested if CLAIM_SCOPE.get(name) in granted)
    return {name: values[name] for name in sorted(names) if name in values}
