"""The closed vocabularies of client registration, stored by value (names from RFC 7591 and OIDC Registration)."""

from __future__ import annotations

from enum import StrEnum


class AuthMethod(StrEnum):
    """``token_endpoint_auth_method``: how the client proves who it is at the token endpoint."""

    CLIENT_SECRET_BASIC = "client_secret_basic"
    CLIENT_SECRET_POST = "client_secret_post"
    PRIVATE_KEY_JWT = "private_key_jwt"
    #: A public client (a browser or native app that cannot keep a secret); PKCE is its only protection.
    NONE = "none"

    @property
    def uses_secret(self) -> bool:
        return self in (AuthMethod.CLIENT_SECRET_BASIC, AuthMethod.CLIENT_SECRET_POST)


class GrantType(StrEnum):
    """The grants this provider offers. Implicit and password are not offered (RFC 9700 §2.1.2, §2.4)."""

    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials"


class IdTokenAlg(StrEnum):
    """``id_token_signed_response_alg``; ``none`` is never offered (conformance module oidcc-idtoken-unsigned)."""

    RS256 = "RS256"
    ES256 = "ES256"
    EDDSA = "EdDSA"


class ClientStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
