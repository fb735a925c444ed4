"""The UserInfo endpoint (OIDC Core 5.3), GET and POST, with RFC 6750 bearer errors."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.orm import Session

from identity.db import is_postgresql

from ..app import settings_of
from ..db import db_session
from .access_tokens import InactiveToken, verify_access_token, verify_access_token_offline
from .claims import release
from .userinfo_query import userinfo_facts

bp = Blueprint("userinfo", __name__)


def _bearer_token() -> str | None:
    """RFC 6750 §2.1 header, or §2.2 form body on POST; never the query string (ASVS 14.2.1)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("access_token")
    return None


def _challenge(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    response.headers["Cache-Control"] = "no-store"
    return response


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
        response = _challenge(401, "invalid_token", "An access token is required.")
        response.headers["WWW-Authenticate"] = "Bearer"  # RFC 6750 §3.1: no error code without a token
        return response
    settings = settings_of(current_app)
    keyring = current_app.extensions["idp.keyring"]
    session = _reading_session()
    try:
        claims = verify_access_token_offline(keyring, token, settings)
        scopes = set(claims.get("scope", "").split())
        if "openid" not in scopes or "gid" not in claims:
            verify_access_token(session, keyring, token, settings)  # a dead token is 401 before 403
            return _challenge(403, "insufficient_scope", "The access token was not issued for OpenID Connect.")
        facts = userinfo_facts(session, gid=str(claims["gid"]), jti=str(claims.get("jti")))
    except InactiveToken:
        return _challenge(401, "invalid_token", "The access token is not valid.")
    portal_active = current_app.extensions["idp.provider"].query_client(claims["client_id"]) is not None
    if facts is None or not portal_active:
        # Revoked or expired grant, revoked token, or (ASVS 8.3.2) a suspended or revoked identity or a
        # suspended portal: access ends now, not when the token expires.
        return _challenge(401, "invalid_token", "The access token is not valid.")
    released = release(facts.values, granted_scopes=scopes, requested=facts.requested, include_scope_claims=True)
    response = jsonify({"sub": claims["sub"], **released})
    response.headers["Cache-Control"] = "no-store"
    return response
