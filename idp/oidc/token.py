"""The token endpoint (RFC 6749 §3.2): Authlib runs the grants; we own the transaction.

The transaction is committed for error responses too: a replayed code or refresh token answers
``invalid_grant`` *and* revokes what it produced, and that revocation must stand.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import Blueprint, Response, current_app

from ..db import open_db_session
from .token_requests import refuse_repeated_parameters

bp = Blueprint("token", __name__)


@bp.route("/token", methods=["POST"])
def token() -> Response:
    server = current_app.extensions["idp.provider"]
    try:
        refuse_repeated_parameters()
    except InvalidRequestError as error:
        return server.handle_error_response(server.create_oauth2_request(None), error)  # type: ignore[no-any-return]
    response: Response = server.create_token_response()
    session = open_db_session()  # none for a client_credentials grant of a cached client
    if session is not None:
        session.commit()
    return response
