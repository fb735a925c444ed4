"""The Client as Authlib sees it: exact redirect matching, scopes, response and grant types, client authentication."""

from __future__ import annotations

import time
from typing import Any

import pytest
from authlib.oauth2.rfc6749 import ClientAuthentication, InvalidClientError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import list_to_scope
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from sqlalchemy import update
from sqlalchemy.orm import Session

from clients import AUTHENTICATED_ENDPOINTS, Client, find_active_client, get_client, rotate_secret, suspend_client
from tests.factories import PORTAL_CALLBACK, public_jwks, registered_client, rsa_key

WITH_QUERY = "https://dichvucong.gov.vn/cb?portal=1"
LOOPBACK = "http://127.0.0.1:5001/cb"


def reloaded(session: Session, client: Client) -> Client:
    """The client as a new request would read it from the database."""
    session.expire_all()
    return get_client(session, client.client_id)


@pytest.fixture
def portal(session: Session) -> Client:
    client, _ = registered_client(
        session,
        redirect_uris=[PORTAL_CALLBACK, WITH_QUERY, LOOPBACK],
        scopes=["openid", "profile", "email"],
        allow_http_loopback=True,
        sector="dichvucong.gov.vn",
    )
    return reloaded(session, client)


def test_registered_redirect_uris_match_exactly(portal: Client) -> None:
    for uri in (PORTAL_CALLBACK, WITH_QUERY, LOOPBACK):
        assert portal.check_redirect_uri(uri)


@pytest.mark.parametrize(
    "tampered",
    [
        PORTAL_CALLBACK + "/",
        PORTAL_CALLBACK + "?",
        PORTAL_CALLBACK + "?next=https://evil.example",
        PORTAL_CALLBACK + "#",
        PORTAL_CALLBACK + "/../callback",
        PORTAL_CALLBACK + "/extra",
        PORTAL_CALLBACK[:-1],
        PORTAL_CALLBACK.upper(),
        "https://DICHVUCONG.gov.vn/auth/callback",
        "https://dichvucong.gov.vn/auth/Callback",
        "HTTPS://dichvucong.gov.vn/auth/callback",
        "http://dichvucong.gov.vn/auth/callback",
        "https://dichvucong.gov.vn:443/auth/callback",
        "https://dichvucong.gov.vn:8443/auth/callback",
        "https://dichvucong.gov.vn./auth/callback",
        "https://dichvucong.gov.vn.evil.example/auth/callback",
        "https://evil.example@dichvucong.gov.vn/auth/callback",
        "https://dichvucong.gov.vn/auth%2Fcallback",
        "https://dichvucong.gov.vn/auth/%63allback",
        " " + PORTAL_CALLBACK,
        "https://dichvucong.gov.vn/cb?portal=2",
        "https://dichvucong.gov.vn/cb?portal=1&x=1",
        "https://dichvucong.gov.vn/cb",
        "http://127.0.0.1:5002/cb",
        "http://localhost:5001/cb",
        "http://[::1]:5001/cb",
        "http://127.0.0.1/cb",
        "",
        None,
    ],
)
def test_a_tampered_redirect_uri_does_not_match(portal: Client, tampered: Any) -> None:
    assert not portal.check_redirect_uri(tampered)


def test_there_is_no_default_redirect_uri(portal: Client) -> None:
    assert portal.get_default_redirect_uri() is None


def test_post_logout_redirect_uris_match_exactly(session: Session) -> None:
    client, _ = registered_client(session, post_logout_redirect_uris=["https://dichvucong.gov.vn/bye"])
    client = reloaded(session, client)
    assert client.check_post_logout_redirect_uri("https://dichvucong.gov.vn/bye")
    assert not client.check_post_logout_redirect_uri("https://dichvucong.gov.vn/bye?x=1")
    assert client.client_metadata["post_logout_redirect_uris"] == ["https://dichvucong.gov.vn/bye"]


def test_allowed_scope_keeps_only_allowed_scopes_in_the_order_asked(portal: Client) -> None:
    assert portal.get_allowed_scope("email openid phone pin email") == "email openid"
    assert portal.get_allowed_scope("") == ""
    assert portal.get_allowed_scope(None) == ""
    assert portal.client_metadata["scope"] == list_to_scope(["openid", "profile", "email"])


def test_a_restricted_scope_is_granted_only_while_its_approval_is_recorded(session: Session) -> None:
    client, _ = registered_client(session, scopes=["openid", "pin"], approve_restricted=True, actor="admin:lan")
    assert client.restricted_scopes_approved_by == "admin:lan" and client.restricted_scopes_approved_at
    assert client.get_allowed_scope("openid pin") == "openid pin"
    session.execute(
        update(Client)
        .where(Client.id == client.id)
        .values(restricted_scopes_approved_by=None, restricted_scopes_approved_at=None)
    )
    session.commit()
    assert reloaded(session, client).get_allowed_scope("openid pin") == "openid"


def test_only_the_code_response_type(portal: Client, session: Session) -> None:
    assert portal.check_response_type("code")
    for response_type in ("token", "id_token", "code id_token", "code token", "none", ""):
        assert not portal.check_response_type(response_type)
    machine, _ = registered_client(session, grant_types=["client_credentials"], redirect_uris=[])
    assert not machine.check_response_type("code")


def test_only_registered_grant_types(portal: Client, session: Session) -> None:
    assert portal.check_grant_type("authorization_code") and portal.check_grant_type("refresh_token")
    for grant in ("client_credentials", "password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
        assert not portal.check_grant_type(grant)
    machine, _ = registered_client(session, grant_types=["client_credentials"], redirect_uris=[])
    assert machine.check_grant_type("client_credentials") and not machine.check_grant_type("authorization_code")


def test_each_client_authenticates_only_with_its_registered_method(session: Session) -> None:
    basic, _ = registered_client(session)
    public, _ = registered_client(session, token_endpoint_auth_method="none")
    for endpoint in AUTHENTICATED_ENDPOINTS:
        assert basic.check_endpoint_auth_method("client_secret_basic", endpoint)
        assert not basic.check_endpoint_auth_method("client_secret_post", endpoint)
        assert not basic.check_endpoint_auth_method("none", endpoint)
    assert not basic.check_endpoint_auth_method("client_secret_basic", "userinfo")
    assert public.check_endpoint_auth_method("none", "token")
    assert public.check_endpoint_auth_method("none", "revocation")
    # RFC 7662 §2.1: introspection requires authorization, which a public client cannot give.
    assert not public.check_endpoint_auth_method("none", "introspection")


def test_a_suspended_client_can_do_nothing(session: Session, portal: Client) -> None:
    suspend_client(session, portal.client_id, reason="leaked secret", actor="admin")
    session.commit()
    assert not portal.check_response_type("code")
    assert not portal.check_grant_type("authorization_code")
    assert not any(portal.check_endpoint_auth_method("client_secret_basic", e) for e in AUTHENTICATED_ENDPOINTS)
    assert find_active_client(session, portal.client_id) is None


class FormRequest(OAuth2Request):
    """A token request as Authlib's client authentication reads it."""

    def __init__(self, form: dict[str, str], headers: dict[str, str] | None = None) -> None:
        super().__init__("POST", "https://id.example.vn/token", headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def authenticate(session: Session, request: FormRequest) -> Any:
    methods = ["client_secret_basic", "client_secret_post", "none"]
    return ClientAuthentication(lambda cid: find_active_client(session, cid)).authenticate(request, methods, "token")


def test_authlib_client_authentication_with_the_hashed_secret(session: Session) -> None:
    client, secret = registered_client(session)
    assert secret is not None
    cid = client.client_id
    assert authenticate(session, FormRequest({}, basic_auth(cid, secret))) is client
    for attempt in (
        FormRequest({}, basic_auth(cid, secret + "x")),
        FormRequest({}, basic_auth(cid, secret.upper())),
        FormRequest({}, basic_auth(cid, "")),
        FormRequest({"client_id": cid, "client_secret": secret}),  # registered for basic, not post
        FormRequest({"client_id": cid}),  # a confidential client cannot pose as public
    ):
        with pytest.raises(InvalidClientError):
            authenticate(session, attempt)
    new_secret = rotate_secret(session, cid, actor="admin")
    session.commit()
    with pytest.raises(InvalidClientError):
        authenticate(session, FormRequest({}, basic_auth(cid, secret)))
    assert authenticate(session, FormRequest({}, basic_auth(cid, new_secret))) is client
    suspend_client(session, cid, reason="decommissioned", actor="admin")
    session.commit()
    with pytest.raises(InvalidClientError):
        authenticate(session, FormRequest({}, basic_auth(cid, new_secret)))


def test_a_public_client_authenticates_with_its_client_id_only(session: Session) -> None:
    client, secret = registered_client(session, token_endpoint_auth_method="none")
    assert secret is None
    assert authenticate(session, FormRequest({"client_id": client.client_id})) is client
    with pytest.raises(InvalidClientError):
        authenticate(session, FormRequest({}, basic_auth(client.client_id, "guess")))


def test_private_key_jwt_assertions_verify_with_the_registered_keys_only(session: Session) -> None:
    key = rsa_key("rp-1")
    client, secret = registered_client(session, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key))
    client = reloaded(session, client)
    assert secret is None and client.secret_hash is None
    now = int(time.time())
    claims = {"iss": client.client_id, "sub": client.client_id, "aud": "https://id.example.vn/token", "exp": now + 60}
    assertion = jwt.encode({"alg": "RS256", "kid": "rp-1"}, claims, key)
    key_set = client.public_key_set()
    assert isinstance(key_set, KeySet)
    assert jwt.decode(assertion, key_set, algorithms=["RS256"]).claims["sub"] == client.client_id
    assert jwt.decode(assertion, KeySet.import_key_set(client.jwks), algorithms=["RS256"]).claims
    # Algorithm confusion (SECURITY.md V8): an HMAC made with the public key's text must not verify.
    public_as_secret = OctKey.import_key(client.jwks_json.encode())  # type: ignore[union-attr]
    forged = jwt.encode({"alg": "HS256", "kid": "rp-1"}, claims, public_as_secret)
    with pytest.raises((JoseError, ValueError)):
        jwt.decode(forged, key_set, algorithms=["HS256", "RS256"])
    other = rsa_key("rp-1")
    with pytest.raises(JoseError):
        jwt.decode(jwt.encode({"alg": "RS256", "kid": "rp-1"}, claims, other), key_set, algorithms=["RS256"])
    assert client.check_endpoint_auth_method("private_key_jwt", "token")
    assert not client.check_client_secret("")
