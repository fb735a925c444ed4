"""An independent relying party: Authlib's OAuth client against the provider over real HTTP.

It knows the provider only by its issuer URL and imports nothing from this project (only authlib,
requests, joserfc and the standard library), exactly like a portal written by someone else. It reads
its configuration as one JSON object on stdin::

    {"issuer": ..., "client_id": ..., "client_secret": ..., "redirect_uri": ..., "pin": ..., "password": ...}

and prints one JSON object of what it observed on stdout. Anything a certified relying party must
refuse (bad signature, wrong issuer, audience, nonce or at_hash, mismatched state) raises, so the
program exits non-zero with the reason on stderr.

A second ``requests`` session plays the citizen's browser: it follows the provider's redirects, fills
in the sign-in form (PIN and password, CSRF token from the page) and the consent form, and stops at
the redirect to the portal's ``redirect_uri``, which it never follows (nothing listens there).

Two code flows run: the first through sign-in and consent, then userinfo, introspection, refresh,
and revocation of the refresh and the access token; the second rides on the SSO session (no sign-in
page) and proves refresh-token reuse detection: presenting a rotated refresh token again is refused
and revokes its whole family (the provider runs with ``IDP_REFRESH_REUSE_GRACE=0``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

TIMEOUT = 10
#: Clock leeway for exp/iat, as Authlib's own OpenID client allows.
LEEWAY = 60
MAX_HOPS = 10
#: The algorithm this portal registered for its ID tokens (the registry's default).
ID_TOKEN_ALG = "RS256"


@dataclass
class Form:
    """A POST form of a page: its action, hidden fields, input names and submit buttons."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    inputs: set[str] = field(default_factory=set)
    buttons: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Every POST form of a page, in order (a page may also carry, say, a "back to the portal" form)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and values.get("method", "get").lower() == "post":
            self._current = Form(values.get("action", ""))
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and "name" in values:
            kind = values.get("type", "text").lower()
            if kind == "hidden":
                self._current.fields[values["name"]] = values.get("value", "")
            elif kind == "submit":
                self._current.buttons[values["name"]] = values.get("value", "")
            else:
                self._current.inputs.add(values["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


class Browser:
    """The citizen's user agent: cookies, redirects, and two forms it knows how to fill in."""

    def __init__(self, pin: str, password: str) -> None:
        self.http = requests.Session()
        self.pin, self.password = pin, password
        self.pages: list[str] = []

    def run(self, url: str, redirect_uri: str) -> str:
        """Start at the authorization URL; return the URL the provider finally redirects to the portal."""
        response = self.http.get(url, allow_redirects=False, timeout=TIMEOUT)
        for _ in range(MAX_HOPS):
            if response.status_code in (302, 303):
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(redirect_uri):
                    return location
                response = self.http.get(location, allow_redirects=False, timeout=TIMEOUT)
            elif response.status_code == 200 and "text/html" in response.headers.get("Content-Type", ""):
                response = self._submit(response)
            else:
                raise RuntimeError(f"unexpected answer {response.status_code} at {response.url}: {response.text[:300]}")
        raise RuntimeError(f"no redirect to the portal after {MAX_HOPS} steps")

    def _submit(self, page: requests.Response) -> requests.Response:
        parser = FormParser()
        parser.feed(page.text)
        signing_in = [f for f in parser.forms if {"pin", "password"} <= f.inputs]
        consenting = [f for f in parser.forms if "allow" in f.buttons]
        form = (signing_in or consenting or [None])[0]
        if form is None:
            raise RuntimeError(f"a form this browser does not know on {page.url}")
        if "csrf_token" not in form.fields:
            raise RuntimeError(f"no form with a CSRF token on {page.url}")
        data = dict(form.fields)
        if signing_in:
            self.pages.append("login")
            data.update(pin=self.pin, password=self.password)
        else:
            self.pages.append("consent")
            data["allow"] = form.buttons["allow"]
        response = self.http.post(urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=TIMEOUT)
        if response.status_code != 303:
            raise RuntimeError(f"the {self.pages[-1]} form answered {response.status_code}: {response.text[:300]}")
        return response


class RelyingParty:
    def __init__(self, config: dict[str, str]) -> None:
        self.config = config
        self.issuer = config["issuer"]
        self.metadata: dict[str, Any] = {}
        self.jwks: dict[str, Any] = {}
        self.browser = Browser(config["pin"], config["password"])

    def client(self) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.config["client_id"],
            client_secret=self.config["client_secret"],
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            scope="openid profile",
            redirect_uri=self.config["redirect_uri"],
            code_challenge_method="S256",
        )

    # -- discovery ------------------------------------------------------------------------------

    def discover(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        metadata = OpenIDProviderMetadata(response.json())
        metadata.validate()  # OIDC Discovery 1.0 §3 and RFC 8414 §2, as Authlib checks them
        if metadata["issuer"] != self.issuer:  # OIDC Discovery §4.3: exactly the issuer we asked
            raise RuntimeError(f"discovery names issuer {metadata['issuer']!r}, not {self.issuer!r}")
        self.metadata = dict(metadata)
        jwks = requests.get(metadata["jwks_uri"], timeout=TIMEOUT)
        jwks.raise_for_status()
        self.jwks = jwks.json()
        return {
            "issuer": metadata["issuer"],
            "iss_parameter_supported": metadata.get("authorization_response_iss_parameter_supported"),
            "code_challenge_methods": metadata.get("code_challenge_methods_supported"),
            "jwks_kids": [key["kid"] for key in self.jwks["keys"]],
            "private_members_in_jwks": sorted(
                {name for key in self.jwks["keys"] for name in ("d", "p", "q", "dp", "dq", "qi") if name in key}
            ),
        }

    # -- the code flow ----------------------------------------------------------------------------

    def code_flow(self, client: OAuth2Session) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """Authorize with PKCE and a nonce, check the response, exchange the code, validate the ID token."""
        verifier, nonce = generate_token(64), generate_token(32)
        url, state = client.create_authorization_url(
            self.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        pages_before = len(self.browser.pages)
        callback = self.browser.run(url, self.config["redirect_uri"])
        query = dict(parse_qsl(urlsplit(callback).query))
        if query.get("iss") != self.issuer:  # RFC 9207 §2.4: mix-up defence
            raise RuntimeError(f"the authorization response names issuer {query.get('iss')!r}")
        parse_authorization_code_response(callback, state=state)  # raises on a state mismatch
        token = client.fetch_token(
            self.metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier, state=state
        )
        claims = self.validate_id_token(token, nonce=nonce)
        authorization = {
            "pages": self.browser.pages[pages_before:],
            "iss": query["iss"],
            "state_matches": query.get("state") == state,
            "code_challenge_method": dict(parse_qsl(urlsplit(url).query)).get("code_challenge_method"),
        }
        return authorization, dict(token), claims

    def validate_id_token(self, token: dict[str, Any], *, nonce: str | None) -> dict[str, Any]:
        """OIDC Core 3.1.3.7: signature by a published key chosen by kid, iss, aud, exp, iat, nonce, at_hash."""
        key_set = KeySet.import_key_set(self.jwks)
        decoded = jwt.decode(token["id_token"], key_set, registry=JWSRegistry(algorithms=[ID_TOKEN_ALG]))
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.config["client_id"]},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        params = {"nonce": nonce, "client_id": self.config["client_id"], "access_token": token["access_token"]}
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        claims.validate(leeway=LEEWAY)  # CodeIDToken requires at_hash when an access token came with it
        return {
            **dict(claims),
            "_alg": decoded.header["alg"],
            "_kid": decoded.header.get("kid"),
            "_tampered_rejected": self._tampered_rejected(token["id_token"], key_set),
        }

    @staticmethod
    def _tampered_rejected(id_token: str, key_set: KeySet) -> bool:
        """A certified RP refuses a token whose payload was changed after signing."""
        header, payload, signature = id_token.split(".")
        forged = f"{header}.{payload[:-4]}AAAA.{signature}"
        try:
            jwt.decode(forged, key_set, registry=JWSRegistry(algorithms=[ID_TOKEN_ALG]))
        except (JoseError, ValueError):
            return True
        return False

    # -- resources and token management -----------------------------------------------------------

    def userinfo(self, access_token: str) -> tuple[int, dict[str, Any]]:
        response = requests.get(
            self.metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT
        )
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        return response.status_code, body

    def introspect(self, client: OAuth2Session, token: str, hint: str) -> dict[str, Any]:
        response = client.introspect_token(
            self.metadata["introspection_endpoint"], token=token, token_type_hint=hint, timeout=TIMEOUT
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def revoke(self, client: OAuth2Session, token: str, hint: str) -> int:
        response = client.revoke_token(
            self.metadata["revocation_endpoint"], token=token, token_type_hint=hint, timeout=TIMEOUT
        )
        return int(response.status_code)

    def refresh(self, client: OAuth2Session, refresh_token: str) -> dict[str, Any] | str:
        """The new token response, or the OAuth error code the provider answered."""
        try:
            return dict(client.refresh_token(self.metadata["token_endpoint"], refresh_token=refresh_token))
        except OAuthError as error:
            return str(error.error)


def first_flow(rp: RelyingParty) -> dict[str, Any]:
    """Sign-in and consent, tokens, userinfo, refresh, then RFC 7009 revocation with RFC 7662 checks."""
    client = rp.client()
    authorization, token, id_token = rp.code_flow(client)
    status, userinfo = rp.userinfo(token["access_token"])
    introspected = {
        "access_token": rp.introspect(client, token["access_token"], "access_token"),
        "refresh_token": rp.introspect(client, token["refresh_token"], "refresh_token"),
    }
    refreshed = rp.refresh(client, token["refresh_token"])
    if not isinstance(refreshed, dict):
        raise RuntimeError(f"refresh refused: {refreshed}")
    refreshed_id_token = rp.validate_id_token(refreshed, nonce=None)
    refresh = {
        "new_refresh_token": refreshed.get("refresh_token") not in (None, token["refresh_token"]),
        "new_access_token": refreshed["access_token"] != token["access_token"],
        "id_token_same_sub": refreshed_id_token["sub"] == id_token["sub"],
        "id_token_same_auth_time": refreshed_id_token.get("auth_time") == id_token.get("auth_time"),
        "old_refresh_token_introspected": rp.introspect(client, token["refresh_token"], "refresh_token"),
        "new_refresh_token_introspected": rp.introspect(client, refreshed["refresh_token"], "refresh_token"),
    }
    new_refresh, new_access = refreshed["refresh_token"], refreshed["access_token"]
    # The access token first: revoking it alone must leave its refresh token working.
    access = {
        "before": rp.introspect(client, new_access, "access_token"),
        "status": rp.revoke(client, new_access, "access_token"),
        "after": rp.introspect(client, new_access, "access_token"),
        "userinfo_after": rp.userinfo(new_access)[0],
        "refresh_token_still_active": rp.introspect(client, new_refresh, "refresh_token")["active"],
    }
    # Then the refresh token: its whole grant ends, with every access token issued under it (RFC 7009 §2.1).
    refresh_revocation = {
        "before": rp.introspect(client, new_refresh, "refresh_token"),
        "status": rp.revoke(client, new_refresh, "refresh_token"),
        "after": rp.introspect(client, new_refresh, "refresh_token"),
        "refresh_after": rp.refresh(client, new_refresh),
        "first_access_token_after": rp.introspect(client, token["access_token"], "access_token"),
    }
    revocation = {
        "access_token": access,
        "refresh_token": refresh_revocation,
        "unknown_token_status": rp.revoke(client, "not-a-token-of-ours", "refresh_token"),
    }
    return {
        "authorization": authorization,
        "token": {k: token.get(k) for k in ("token_type", "expires_in", "scope")}
        | {"has": sorted(k for k in ("access_token", "id_token", "refresh_token") if k in token)},
        "id_token": id_token,
        "userinfo": {"status": status, "claims": userinfo},
        "introspection": introspected,
        "refresh": refresh,
        "revocation": revocation,
    }


def second_flow(rp: RelyingParty) -> dict[str, Any]:
    """Single sign-on (no sign-in page), then a replayed refresh token revokes its family."""
    client = rp.client()
    authorization, token, id_token = rp.code_flow(client)
    refreshed = rp.refresh(client, token["refresh_token"])
    if not isinstance(refreshed, dict):
        raise RuntimeError(f"refresh refused: {refreshed}")
    replay = rp.refresh(client, token["refresh_token"])
    return {
        "pages": authorization["pages"],
        "sub": id_token["sub"],
        "auth_time": id_token.get("auth_time"),
        "sid": id_token.get("sid"),
        "replayed_refresh": replay,
        "rotated_refresh_token_after_replay": rp.introspect(client, refreshed["refresh_token"], "refresh_token"),
    }


def main() -> None:
    config = json.load(sys.stdin)
    rp = RelyingParty(config)
    report = {"discovery": rp.discover(), "first": first_flow(rp)}
    report["second"] = second_flow(rp)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1, default=str)


if __name__ == "__main__":
    main()
