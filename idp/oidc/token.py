"""The token endpoint (RFC 6749 §3.2): Authlib runs the grants; we own the transaction.

The transaction is committed for error responses too: a replayed code or refresh token answers
``invalid_grant`` *and* revokes what it produced, and that revocation must stand.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..db import db_session

bp = Blueprint("token", __name__)


@bp.route("/token", methods=["POST"])
def token() -> Response:
    response: Response = current_app.extensions["idp.provider"].create_token_response()
    db_session().commit()
    return response
