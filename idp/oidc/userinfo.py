"""The UserInfo endpoint (OIDC Core 5.3), GET and POST, with RFC 6750 bearer errors."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify, request

from identity.claims import person_claim_values
from identity.models import Account

from ..app import settings_of
from ..db import db_session
from .access_tokens import InactiveToken, verify_access_token_and_grant
from .claims import release
from .grant_store import account_is_usable

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


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    token = _bearer_token()
    if not token:
        response = _challenge(401, "invalid_token", "An access token is required.")
        response.headers["WWW-Authenticate"] = "Bearer"  # RFC 6750 §3.1: no error code without a token
        return response
    session = db_session()
    try:
        claims, grant = verify_access_token_and_grant(
            session, current_app.extensions["idp.keyring"], token, settings_of(current_app)
        )
    except InactiveToken:
        return _challenge(401, "invalid_token", "The access token is not valid.")
    scopes = set(claims.get("scope", "").split())
    if "openid" not in scopes or grant is None:
        return _challenge(403, "insufficient_scope", "The access token was not issued for OpenID Connect.")
    account = session.get(Account, grant.account_id) if grant.account_id else None
    portal_active = current_app.extensions["idp.provider"].query_client(claims["client_id"]) is not None
    if not account_is_usable(account) or not portal_active:
        # ASVS 8.3.2: a suspended or revoked identity, or a suspended portal, loses access now, not when
        # the token expires.
        return _challenge(401, "invalid_token", "The access token is not valid.")
    assert account is not None
    values = person_claim_values(session, account.person)
    requested = json.loads(grant.claims).get("userinfo") if grant.claims else None
    released = release(values, granted_scopes=scopes, requested=requested, include_scope_claims=True)
    response = jsonify({"sub": claims["sub"], **released})
    response.headers["Cache-Control"] = "no-store"
    return response
