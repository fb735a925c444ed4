"""PKCE (RFC 7636) as this provider requires it: S256 only, mandatory for every client that requires it,
and a fresh challenge every time.

Authlib's CodeChallenge defaults a missing method to ``plain``, accepts ``plain``, and lets a request
without any challenge through even with ``required=True`` (SECURITY.md §6.1). All three are closed here.
A challenge the client already used for a code is refused (RFC 9700 R10: a constant challenge is no
protection against code injection).
"""

from __future__ import annotations

from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge

from ...db import db_session
from ...sso.codes import challenge_used_before


class RequiredS256CodeChallenge(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Any]] = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if grant.request.client.require_pkce and not challenge:
            # RFC 9700 §2.1.1 and ASVS 10.4.6: PKCE is required; SECURITY.md decision 1.
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if challenge and method != "S256":
            # RFC 7636 §4.3 would default to 'plain', which exposes the verifier; only S256 is accepted.
            raise InvalidRequestError("Only 'code_challenge_method=S256' is supported.")
        super().validate_code_challenge(grant, redirect_uri)
        if challenge and challenge_used_before(db_session(), grant.request.client.client_id, challenge):
            raise InvalidRequestError("This 'code_challenge' was used before; send a fresh one with every request.")

