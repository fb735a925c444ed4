"""Authlib grant subclasses: the methods the library asks for, answered with our storage and rules."""

from .auth_methods import CONFIDENTIAL_AUTH_METHODS, TOKEN_AUTH_METHODS
from .authorization_code import AuthorizationCodeGrant
from .client_credentials import ClientCredentialsGrant
from .openid import IdTokenExtension
from .pkce import RequiredS256CodeChallenge
from .refresh_token import RefreshTokenGrant

__all__ = [
    "CONFIDENTIAL_AUTH_METHODS",
    "TOKEN_AUTH_METHODS",
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "IdTokenExtension",
    "RefreshTokenGrant",
    "RequiredS256CodeChallenge",
]
