"""OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414), built once per process from settings.

The document only changes with the configuration, so it is serialised at start and served as bytes
with an ETag and a cache lifetime: nothing is computed per request.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, request

from clients import SUPPORTED_SCOPES

from .. import context
from ..browser import SUPPORTED_LOCALES
from ..config import Settings
from ..sso import acr
from .claims import CLAIMS_SUPPORTED
from .grants import CONFIDENTIAL_AUTH_METHODS, TOKEN_AUTH_METHODS
from .request_params import PROMPTS

bp = Blueprint("discovery", __name__)
SIGNING_ALGS = ["RS256", "ES256", "EdDSA"]
CACHE_SECONDS = 3600


def metadata(settings: Settings) -> dict[str, Any]:
    base = settings.issuer.rstrip("/")
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks.json",
        "revocation_endpoint": f"{base}/revoke",
        "introspection_endpoint": f"{base}/introspect",
        "pushed_authorization_request_endpoint": f"{base}/par",
        "end_session_endpoint": f"{base}/logout",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "require_pushed_authorization_requests": False,
        "scopes_supported": list(SUPPORTED_SCOPES),  # every scope a portal may be allowed
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": SIGNING_ALGS,
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": SIGNING_ALGS,
        "revocation_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        # RFC 7662 §2.1: introspection requires authorization, so public clients ("none") cannot use it.
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": True,
        "claim_types_supported": ["normal"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": [c.value for c in acr.ACR_CLASSES],
        "prompt_values_supported": sorted(PROMPTS),
        "ui_locales_supported": list(SUPPORTED_LOCALES),
        "display_values_supported": ["page"],
    }


def serialised(settings: Settings) -> tuple[bytes, str]:
    body = json.dumps(metadata(settings), separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@bp.route("/.well-known/openid-configuration")
def configuration() -> Response:
    body, etag = context.discovery_document()
    return cached_json(body, etag, CACHE_SECONDS)


def cached_json(body: bytes, etag: str, max_age: int) -> Response:
    """A public JSON document with a strong ETag; 304 when the client already has it."""
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers=headers)
    return Response(body, status=200, headers=headers, content_type="application/json")
