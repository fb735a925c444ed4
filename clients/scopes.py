"""The scopes a client may be allowed, defined once for registration, discovery and consent.

``pin`` and ``citizen_card`` release the citizen's personal identification number and card record
(project decision 5: the PIN only under its own scope, to clients approved for it). A client may be
allowed them only when a client administrator approved it explicitly, and the approval is recorded.
"""

from __future__ import annotations

#: Every scope the provider supports, in the order used when a client's scopes are stored or shown.
SUPPORTED_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
    "pin",
    "citizen_card",
)

#: Scopes that need a recorded administrator approval before a client may be allowed them.
RESTRICTED_SCOPES: frozenset[str] = frozenset({"pin", "citizen_card"})

#: What a client is allowed when the administrator names no scope.
DEFAULT_SCOPES: tuple[str, ...] = ("openid",)
