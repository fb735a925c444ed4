"""The UserInfo endpoint (OIDC Core 5.3), GET and POST, with RFC 6750 bearer errors."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError
from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from identity.db import is_postgresql

from .. import context
from ..db import db_session
from ..sso.userinfo_facts import userinfo_facts
from .access_tokens import InactiveToken, verify_access_token, verify_access_token_offline
from .claims import release

bp = Blueprint("userinfo", __name__)


class MissingAccessToken(InvalidTokenError):
    """RFC 6750 §3.1: a request without any token gets a bare ``Bearer`` challenge, no error code in it."""

    description = "An access token is required."

    def get_headers(self) -> list[tuple[str, str]]:
        return [*OAuth2Error.get_headers(self), ("WWW-Authenticate", "Bearer")]


class InsufficientScope(InsufficientScopeError):
    """RFC 6750 §3: the challenge names the error for a token that lacks the scope, too."""

    def get_headers(self) -> list[tuple[str, str]]:
        challenge = f'Bearer error="{self.error}", error_description="{self.get_error_description()}"'
        return [*super().get_headers(), ("WWW-Authenticate", challenge)]


def _bearer_token() -> str | None:
    """RFC 6750 §2.1 header, or §2.2 form body on POST; never the query string (ASVS 14.2.1)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("access_token")
    return None


def _reading_session() -> Session:
    """The request's session; on PostgreSQL in autocommit mode, sparing the BEGIN and ROLLBACK round trips.

    UserInfo only reads, and each of its answers comes from one statement, which is its own consistent
    snapshot. (SQLite's begin is local, and its transactions are left as they are.)"""
    session = db_session()
    if is_postgresql(session) and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    token = _bearer_token()
    if not token:
        raise MissingAccessToken()
    settings, keyring = context.settings(), context.keyring()
    session = _reading_session()
    try:
        claims = verify_access_token_offline(keyring, token, settings)
        scopes = set(claims.get("scope", "").split())
        if "openid" not in scopes or "gid" not in claims:
            verify_access_token(session, keyring, token, settings)  # a dead token is 401 before 403
            raise InsufficientScope("The access token was not issued for OpenID Connect.")
        facts = userinfo_facts(session, gid=str(claims["gid"]), jti=str(claims.get("jti")))
    except InactiveToken:
        raise InvalidTokenError("The access token is not valid.") from None
    portal_active = context.provider().query_client(claims["client_id"]) is not None
    if facts is None or not portal_active:
        # Revoked or expired grant, revoked token, or (ASVS 8.3.2) a suspended or revoked identity or a
        # suspended portal: access ends now, not when the token expires.
        raise InvalidTokenError("The access token is not valid.")
    released = release(facts.values, granted_scopes=scopes, requested=facts.requested, include_scope_claims=True)
    response = jsonify({"sub": claims["sub"], **released})
    response.headers["Cache-Control"] = "no-store"
    return response
