"""The token endpoint (RFC 6749 §3.2): Authlib runs the grants; ``idp.db`` commits by its rule.

Authlib answers a refused grant itself (400 ``invalid_grant`` and friends). What must stand on such a
refusal (a spent code, a family revoked on reuse, an assertion's jti) was written through the
request's standing session, so it is committed for the refusal too.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .. import context
from .token_requests import refuse_repeated_parameters, require_grant_type

bp = Blueprint("token", __name__)


@bp.route("/token", methods=["POST"])
def token() -> Response:
    refuse_repeated_parameters()
    require_grant_type()
    response: Response = context.provider().create_token_response()
    return response
