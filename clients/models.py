"""The relying-party register's model: a typed ``Client`` implementing Authlib's framework-free ``ClientMixin``.

Lists (redirect URIs, scopes, grant types) are JSON columns: a client is always read whole, on every
token request, and one row is the cheapest read. Check constraints repeat the rules that must never
be broken by any writer: a secret hash exactly for the secret-based methods, PKCE for public
clients, a complete restricted-scope approval, a reason for every suspension.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin
from joserfc.jwk import KeySet
from sqlalchemy import JSON, Boolean, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from identity.db import Base
from identity.models.columns import enum_type, id_type
from identity.types import UTCDateTime, created_at, optional_timestamp, utcnow

from .credentials import secret_matches
from .jwks import public_key_set
from .scopes import RESTRICTED_SCOPES
from .vocabulary import AuthMethod, ClientStatus, GrantType, IdTokenAlg

#: Authlib endpoint names (``ENDPOINT_NAME``) where a client authenticates, always with its registered
#: method (ASVS 10.4.10). Any other endpoint name is refused, so a new endpoint fails closed.
AUTHENTICATED_ENDPOINTS = frozenset({"token", "revocation", "introspection", "pushed_authorization_request"})


class Client(Base, ClientMixin):
    """A registered relying party. ``client_id`` is the public identifier; ``id`` is never shown."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint(
            "(secret_hash IS NOT NULL) = (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post'))",
            name="secret_only_for_secret_methods",
        ),
        CheckConstraint("token_endpoint_auth_method <> 'none' OR require_pkce", name="public_clients_use_pkce"),
        CheckConstraint(
            "(restricted_scopes_approved_by IS NULL) = (restricted_scopes_approved_at IS NULL)",
            name="approval_complete",
        ),
        CheckConstraint("status = 'active' OR status_reason IS NOT NULL", name="suspension_has_reason"),
    )

    id: Mapped[int] = mapped_column(id_type, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Hex SHA-256 of the client secret (see clients.credentials); never the secret itself.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    token_endpoint_auth_method: Mapped[AuthMethod] = mapped_column(enum_type(AuthMethod, "auth_method"))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    #: Allowed scopes, in the order of clients.scopes.SUPPORTED_SCOPES.
    scopes: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    #: Canonical JSON of the public JWKS of a private_key_jwt client.
    jwks_json: Mapped[str | None] = mapped_column(Text)
    id_token_signed_response_alg: Mapped[IdTokenAlg] = mapped_column(enum_type(IdTokenAlg, "id_token_alg"))
    require_pkce: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Sector for pairwise subjects (OIDC Core §8.1); None only for clients without redirect URIs.
    sector: Mapped[str | None] = mapped_column(String(255))
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2000))
    #: Front-channel logout (an iframe on the provider's logout page), for portals without a back channel.
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(String(2000))
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted_scopes_approved_by: Mapped[str | None] = mapped_column(String(100))
    restricted_scopes_approved_at: Mapped[optional_timestamp]
    status: Mapped[ClientStatus] = mapped_column(enum_type(ClientStatus, "client_status"), default=ClientStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[optional_timestamp]
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # -- what the provider reads --------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.status == ClientStatus.ACTIVE

    @property
    def is_public(self) -> bool:
        """A public client has no credentials (RFC 6749 §2.1) and must use PKCE."""
        return self.token_endpoint_auth_method == AuthMethod.NONE

    @property
    def restricted_scopes_approved(self) -> bool:
        return self.restricted_scopes_approved_at is not None

    @property
    def allowed_scopes(self) -> tuple[str, ...]:
        """Scopes the client may be granted; a restricted scope only with a recorded approval."""
        approved = self.restricted_scopes_approved
        return tuple(scope for scope in self.scopes if approved or scope not in RESTRICTED_SCOPES)

    @property
    def jwks(self) -> dict[str, Any] | None:
        """The registered public JWKS (private_key_jwt clients), as a mapping."""
        return None if self.jwks_json is None else json.loads(self.jwks_json)

    def public_key_set(self) -> KeySet | None:
        """The key set for RFC 7523 ``JWTBearerClientAssertion.resolve_client_public_key``."""
        return None if self.jwks_json is None else public_key_set(self.jwks_json)

    @property
    def client_metadata(self) -> dict[str, Any]:
        """RFC 7591 / OIDC Registration names, as Authlib's userinfo and end-session endpoints read them."""
        return {
            "client_name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "scope": " ".join(self.allowed_scopes),
            "grant_types": list(self.grant_types),
            "response_types": ["code"] if GrantType.AUTHORIZATION_CODE in self.grant_types else [],
            "token_endpoint_auth_method": self.token_endpoint_auth_method.value,
            "id_token_signed_response_alg": self.id_token_signed_response_alg.value,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "frontchannel_logout_uri": self.frontchannel_logout_uri,
            "jwks": self.jwks,
        }

    def check_post_logout_redirect_uri(self, uri: object) -> bool:
        """Exact string comparison, as for redirect URIs (OIDC RP-Initiated Logout §3)."""
        return isinstance(uri, str) and uri in self.post_logout_redirect_uris

    # -- authlib.oauth2.rfc6749.ClientMixin ------------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        """Always None: OIDC Core §3.1.2.1 makes ``redirect_uri`` REQUIRED in every request (SECURITY.md §6.3)."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client is allowed, in the order asked; no scope asked, none given."""
        if not scope:
            return ""
        allowed = set(self.allowed_scopes)
        return " ".join(dict.fromkeys(s for s in scope.split() if s in allowed))

    def check_redirect_uri(self, redirect_uri: object) -> bool:
        """RFC 9700 §2.1 and §4.1.3: simple string comparison with a registered URI, no normalisation."""
        return isinstance(redirect_uri, str) and redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: object) -> bool:
        return secret_matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """The registered method at every authenticated endpoint; nothing for a suspended client.

        RFC 7662 §2.1 requires authorization at introspection, so public clients cannot use it.
        """
        if not self.is_active or endpoint not in AUTHENTICATED_ENDPOINTS:
            return False
        if endpoint == "introspection" and self.is_public:
            return False
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        """Only ``code`` (RFC 9700 §2.1.2; ASVS 10.6.1), for active clients with the authorization_code grant."""
        return self.is_active and response_type == "code" and GrantType.AUTHORIZATION_CODE in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return self.is_active and grant_type in self.grant_types
