"""Why sign-in state refuses a request; the protocol layer turns these into OAuth errors."""

from __future__ import annotations


class GrantRefused(Exception):
    """A code or refresh token that yields nothing: unknown, used, expired, revoked, another client's, or
    its account can no longer sign in. The message is for the portal's developer (OAuth ``invalid_grant``)."""
