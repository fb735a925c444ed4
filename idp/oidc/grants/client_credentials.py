"""The client credentials grant (RFC 6749 §4.4) for portal back-ends that an administrator allowed it.

No citizen is involved, so no refresh token and no ID token; the access token's ``sub`` is the client.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants

from .auth_methods import CONFIDENTIAL_AUTH_METHODS


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS
