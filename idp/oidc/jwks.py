"""The JSON Web Key Set: exactly the keys that may verify live tokens, from the key ring's cached bytes."""

from __future__ import annotations

from flask import Blueprint, Response

from .. import context
from .discovery import cached_json

bp = Blueprint("jwks", __name__)


@bp.route("/jwks.json")
def jwks() -> Response:
    keyring = context.keyring()
    body, etag = keyring.jwks_document()
    return cached_json(body, etag, keyring.policy.jwks_max_age)
