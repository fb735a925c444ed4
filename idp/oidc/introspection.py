"""Token introspection (RFC 7662) for the client a token was issued to.

Inactive, unknown, or other clients' tokens all answer exactly ``{"active": false}`` (§2.2), so a
client learns nothing about tokens that are not its own.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from identity.types import utcnow

from .. import context
from ..db import db_session
from ..sso.models import Grant
from ..sso.refresh import find_refresh_token
from .access_tokens import InactiveToken, verify_access_token
from .token_requests import authenticated_token_request

bp = Blueprint("introspection", __name__)
_PUBLISHED = ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti", "auth_time", "acr")


@bp.route("/introspect", methods=["POST"])
def introspect() -> Response:
    server = context.provider()
    client, token = authenticated_token_request(server, server.create_oauth2_request(None), "introspection")
    body = _describe(token, client.client_id)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _describe(token: str, client_id: str) -> dict[str, Any]:
    session = db_session()
    row = find_refresh_token(session, token)
    if row is not None:
        grant = session.get(Grant, row.grant_id)
        now = utcnow()
        live = grant is not None and grant.revoked_at is None and row.used_at is None and row.expires_at > now
        if not live or grant.client_id != client_id:
            return {"active": False}
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": grant.client_id,
            "scope": grant.scope,
            "exp": int(row.expires_at.timestamp()),
            "iat": int(row.issued_at.timestamp()),
        }
    try:
        claims = verify_access_token(session, context.keyring(), token, context.settings())
    except InactiveToken:
        return {"active": False}
    if claims["client_id"] != client_id:
        return {"active": False}
    return {"active": True, "token_type": "Bearer", **{k: claims[k] for k in _PUBLISHED if k in claims}}
