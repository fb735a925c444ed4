"""Authentication context classes (``acr``): defined once, published in discovery, documented for portals.

A portal asks for a minimum with ``acr_values``; a session below it is stepped up, not rejected.
Each class names the authentication methods (RFC 8176 ``amr`` values) and the identity level
(1 = activated online, 2 = verified in person) it requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AcrClass:
    value: str
    rank: int
    required_amr: frozenset[str]
    min_identity_level: int
    description: str


PASSWORD = AcrClass("urn:vn:eid:acr:pwd", 1, frozenset({"pwd"}), 1, "password")
MFA = AcrClass("urn:vn:eid:acr:mfa", 2, frozenset({"pwd", "otp"}), 1, "password and one-time code")
MFA_VERIFIED = AcrClass(
    "urn:vn:eid:acr:mfa:ial2",
    3,
    frozenset({"pwd", "otp"}),
    2,
    "password and one-time code, identity verified in person",
)
ACR_CLASSES = (PASSWORD, MFA, MFA_VERIFIED)
BY_VALUE = {c.value: c for c in ACR_CLASSES}


def achieved(amr: Iterable[str], identity_level: int) -> AcrClass:
    """The strongest class this authentication event satisfies (at least PASSWORD after a login)."""
    methods = set(amr)
    best = PASSWORD
    for candidate in ACR_CLASSES:
        if candidate.required_amr <= methods and identity_level >= candidate.min_identity_level:
            best = max(best, candidate, key=lambda c: c.rank)
    return best


def requested(acr_values: str | None) -> list[AcrClass]:
    """Known classes from an ``acr_values`` parameter, in the portal's order; unknown values ignored."""
    return [BY_VALUE[v] for v in (acr_values or "").split() if v in BY_VALUE]


def essential_values(claims_request: Mapping[str, Any] | None) -> list[Any] | None:
    """The ``acr`` values the ``claims`` parameter asks for as essential (OIDC Core 5.5.1.1), if it does."""
    member = ((claims_request or {}).get("id_token") or {}).get("acr")
    if not isinstance(member, Mapping) or member.get("essential") is not True:
        return None
    values = member.get("values")
    return values if isinstance(values, list) else [member.get("value")]


def wanted(acr_values: str | None, claims_request: Mapping[str, Any] | None) -> list[AcrClass]:
    """Every known class a portal asks for, through ``acr_values`` or as essential in ``claims``."""
    essential = [BY_VALUE[v] for v in essential_values(claims_request) or () if isinstance(v, str) and v in BY_VALUE]
    return requested(acr_values) + essential


def shortfall(amr: Iterable[str], identity_level: int, classes: list[AcrClass]) -> str | None:
    """What keeps a sign-in with *amr*, on an identity of this level, below the weakest class asked for:
    ``"otp"`` (a one-time code would reach it), ``"level"`` (only a registrar can: the identity is below the
    class's level), or None (it is reached, or nothing was asked)."""
    if not classes:
        return None
    target = min(classes, key=lambda c: c.rank)
    if identity_level < target.min_identity_level:
        return "level"
    if not target.required_amr <= set(amr):
        return "otp"
    return None


def meets_essential(current: str, claims_request: Mapping[str, Any] | None) -> bool:
    """False when the ``claims`` parameter asks for ``acr`` as essential with values the session's class is
    not one of: OIDC Core 5.5.1.1 makes that a failed authentication, never a token with another acr."""
    essential = essential_values(claims_request)
    return essential is None or current in essential
