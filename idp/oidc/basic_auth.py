"""``client_secret_basic`` that no Authorization header can turn into a server error.

Authlib reads Basic credentials that are not base64 as no credentials, but lets a header whose
base64 is not UTF-8, that is not ASCII, or that is ``Basic`` and a space raise: a 500. Such
credentials are read as absent here too, so the client is refused like any other that did not
authenticate (401 ``invalid_client`` with the Basic challenge, RFC 6749 §5.2).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.util import extract_basic_authorization


def client_secret_basic(query_client: Any, request: Any) -> Any:
    try:
        extract_basic_authorization(request.headers)
    except ValueError:  # UnicodeDecodeError included
        return None
    return authenticate_client_secret_basic(query_client, request)
