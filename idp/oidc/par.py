"""Pushed authorization requests (RFC 9126).

A client posts its authorization parameters to ``/par`` (authenticating as at the token endpoint)
and gets a one-time ``request_uri`` valid for a minute; the browser then carries only that reference.
"""

from __future__ import annotations

import datetime as dt
import json

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import InvalidRequestURIError
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from identity.types import utcnow

from .. import context
from ..db import db_session, standing_session
from ..sso.models import PushedRequest
from ..sso.opaque import digest, new_secret
from .grants import TOKEN_AUTH_METHODS
from .request_params import PAR_URN_PREFIX, parse_options, refuse_malformed, refuse_request_objects
from .stored_request import oauth_request

bp = Blueprint("par", __name__)
REQUEST_URI_TTL = 60
#: Client authentication parameters are not authorization parameters and are never stored.
_AUTH_PARAMS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


@bp.route("/par", methods=["POST"])
def push() -> Response:
    server = context.provider()
    oauth = server.create_oauth2_request(None)
    # Errors raised here are answered to the client as JSON, never redirected (RFC 9126 §2.3; idp.errors).
    client = server.authenticate_client(oauth, TOKEN_AUTH_METHODS, endpoint="pushed_authorization_request")
    params = MultiDict((k, v) for k, v in request.form.items(multi=True) if k not in _AUTH_PARAMS)
    refuse_malformed(params)
    refuse_request_objects(params)  # decision 6 holds for pushed requests too
    if "request_uri" in params:
        raise InvalidRequestError("'request_uri' cannot be pushed (RFC 9126 section 2.1).")
    params["client_id"] = client.client_id
    grant = server.get_consent_grant(oauth_request(params), end_user=None)
    parse_options(params, None)
    key = new_secret()
    db_session().add(
        PushedRequest(
            key_hash=digest(key),
            client_id=grant.client.client_id,
            parameters=json.dumps(list(params.items(multi=True))),
            expires_at=utcnow() + dt.timedelta(seconds=REQUEST_URI_TTL),
        )
    )
    response = jsonify(request_uri=PAR_URN_PREFIX + key, expires_in=REQUEST_URI_TTL)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def expand_pushed_request(params: MultiDict[str, str]) -> MultiDict[str, str]:
    """Replace a PAR reference by the pushed parameters; single use, same client, unexpired.

    The use stands even if the request it carries is then refused."""
    request_uri = params.get("request_uri")
    if request_uri is None:
        return params
    key = request_uri.removeprefix(PAR_URN_PREFIX)
    claimed = (
        standing_session()
        .execute(
            update(PushedRequest)
            .where(
                PushedRequest.key_hash == digest(key),
                PushedRequest.client_id == params.get("client_id", ""),
                PushedRequest.used_at.is_(None),
                PushedRequest.expires_at > utcnow(),
            )
            .values(used_at=utcnow())
            .returning(PushedRequest.parameters)
            .execution_options(synchronize_session=False)
        )
        .scalar_one_or_none()
    )
    if claimed is None:
        raise InvalidRequestURIError("The request_uri is unknown, expired, already used, or not this client's.")
    return MultiDict(json.loads(claimed))
