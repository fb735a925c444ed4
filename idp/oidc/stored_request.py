"""Authlib requests built from parameters we hold (a resumed or pushed authorization request)."""

from __future__ import annotations

from types import SimpleNamespace

from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2.rfc6749 import OAuth2Request
from werkzeug.datastructures import MultiDict

from .. import context


def oauth_request(params: MultiDict[str, str]) -> OAuth2Request:
    oauth = OAuth2Request("GET", context.settings().issuer.rstrip("/") + "/authorize")
    oauth.payload = FlaskOAuth2Payload(SimpleNamespace(values=params))  # type: ignore[arg-type]
    return oauth
