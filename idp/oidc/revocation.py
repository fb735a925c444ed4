"""Token revocation (RFC 7009).

A refresh token revokes its whole grant (and so the grant's access tokens, §2.1 SHOULD); an access
token is put on the ``jti`` denylist until it would have expired. Only the client a token was issued
to may revoke it; anything else, including unknown tokens, answers 200 and changes nothing (§2.2).
"""

from __future__ import annotations

import datetime as dt

from authlib.oauth2.rfc6749.errors import UnsupportedTokenTypeError
from flask import Blueprint, Response, request

from .. import context
from ..db import db_session
from ..sso.grants import revoke_grant
from ..sso.models import Grant, RevokedAccessToken
from ..sso.refresh import find_refresh_token
from .access_tokens import InactiveToken, verify_access_token
from .token_requests import authenticated_token_request

bp = Blueprint("revocation", __name__)
TOKEN_TYPE_HINTS = ("access_token", "refresh_token")


@bp.route("/revoke", methods=["POST"])
def revoke() -> Response:
    server = context.provider()
    client, token = authenticated_token_request(server, server.create_oauth2_request(None), "revocation")
    hint = request.form.get("token_type_hint")
    if hint is not None and hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenTypeError()
    if not _revoke_refresh_token(token, client.client_id):
        _revoke_access_token(token, client.client_id)
    return Response(status=200, headers={"Cache-Control": "no-store"})


def _revoke_refresh_token(token: str, client_id: str) -> bool:
    session = db_session()
    row = find_refresh_token(session, token)
    if row is None:
        return False
    grant = session.get(Grant, row.grant_id)
    if grant is not None and grant.client_id == client_id:
        revoke_grant(session, grant, reason="revoked by the client", actor=f"client:{client_id}")
    return True


def _revoke_access_token(token: str, client_id: str) -> None:
    session = db_session()
    try:
        claims = verify_access_token(session, context.keyring(), token, context.settings())
    except InactiveToken:
        return
    if claims["client_id"] != client_id:
        return
    expires = dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
    session.merge(RevokedAccessToken(jti=str(claims["jti"]), expires_at=expires))
