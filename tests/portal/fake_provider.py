"""A stand-in OpenID provider on 127.0.0.1 for the portal's own tests: discovery, JWKS, token and userinfo
endpoints over real HTTP, answering what the test tells it, with keys made in the test.

The portal's tests run without the real provider, so that each check of the portal (a forged logout
token, an ID token for another audience, a refused refresh) can be provoked on purpose.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

CLIENT_ID = "portal-under-test"
CLIENT_SECRET = "portal-under-test-secret"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"

Key = RSAKey | ECKey
TokenAnswer = Callable[[dict[str, str]], tuple[int, dict[str, Any]]]


@dataclass
class FakeProvider:
    issuer: str = ""
    keys: list[Key] = field(default_factory=list)
    #: What the token endpoint answers to a request's form fields: (status, JSON body).
    token_answer: TokenAnswer | None = None
    userinfo: dict[str, Any] = field(default_factory=dict)
    #: Overrides of the discovery document (None removes a member).
    metadata_overrides: dict[str, Any] = field(default_factory=dict)
    #: (path, form fields) of every request, in order.
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks.json",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        }
        document.update(self.metadata_overrides)
        return {k: v for k, v in document.items() if v is not None}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.keys]}

    def hits(self, path: str) -> int:
        return sum(1 for seen, _ in self.seen if seen == path)

    # -- tokens signed as the provider would ----------------------------------------------------------

    def sign(self, claims: dict[str, Any], *, key: Key | None = None, **header: Any) -> str:
        """A JWS of *claims* with exactly the header asked for (no ``typ`` unless given)."""
        key = key or self.keys[0]
        alg = "RS256" if isinstance(key, RSAKey) else "ES256"
        return jws.serialize_compact({"alg": alg, "kid": key.kid, **header}, json.dumps(claims), key)

    def id_token(self, nonce: str | None, /, **claims: Any) -> str:
        now = int(time.time())
        values = {
            "iss": self.issuer,
            "sub": "pairwise-sub-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
            "nonce": nonce,
            "acr": "urn:vn:eid:acr:pwd",
            "amr": ["pwd"],
            "sid": "provider-session-1",
            **claims,
        }
        return self.sign({k: v for k, v in values.items() if v is not None})

    def logout_token(self, *, key: Key | None = None, header: dict[str, Any] | None = None, **claims: Any) -> str:
        """A valid logout token for the portal; *claims* override or (None) remove members."""
        now = int(time.time())
        values = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "sid": "provider-session-1",
            "events": {BACKCHANNEL_EVENT: {}},
            **claims,
        }
        return self.sign(
            {k: v for k, v in values.items() if v is not None}, key=key, **({"typ": "logout+jwt"} | (header or {}))
        )

    def answer_code(self, nonce: str, /, *, id_token: str | None = None, expires_in: int = 600, **claims: Any) -> None:
        """Make the token endpoint answer the next code exchange with tokens for *nonce*."""
        token = {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": secrets.token_urlsafe(16),
            "id_token": id_token or self.id_token(nonce, **claims),
        }
        self.token_answer = lambda _form: (200, token)
        self.userinfo = {"sub": claims.get("sub", "pairwise-sub-1"), "name": "Nguyễn Thị Mai", "gender": "female"}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProvider

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.fake.seen.append((path, {}))
        if path == "/.well-known/openid-configuration":
            self._json(200, self.fake.metadata())
        elif path == "/jwks.json":
            self._json(200, self.fake.jwks())
        elif path == "/userinfo":
            self._json(200, self.fake.userinfo)
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        self.fake.seen.append((path, form))
        if path == "/token" and self.fake.token_answer is not None:
            self._json(*self.fake.token_answer(form))
        else:
            self._json(400, {"error": "invalid_request"})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serving(keys: list[Key]) -> Iterator[FakeProvider]:
    fake = FakeProvider(keys=list(keys))
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
