"""Client authentication at the token, introspection, revocation and PAR endpoints: each client only by
its registered method; secrets never from the URL; private_key_jwt assertions verified with the
registered keys only, never replayable, never HMAC or unsigned (RFC 6749 §2.3, §5.2; RFC 7523;
ASVS 10.4.10; SECURITY.md V8-V10, V12)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from clients import rotate_secret
from idp.context import session_factory
from tests import factories
from tests.idp.conftest import Citizen, Portal, authorize, register_portal
from tests.idp.flows import forge, post_as, suspend_portal, tokens

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def code_exchange_form(client: FlaskClient, portal: Portal, citizen: Citizen) -> dict[str, str]:
    query, verifier = authorize(client, portal, citizen)
    return {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": portal.redirect_uri,
        "code_verifier": verifier,
    }


def assert_invalid_client(response: Any) -> None:
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    assert response.get_json()["error"] == "invalid_client"
    assert "access_token" not in response.get_json()


@pytest.fixture
def jwt_portal(app: Flask) -> Portal:
    return register_portal(app, name="Cổng ký khóa", first_party=True, token_endpoint_auth_method="private_key_jwt")


# -- client_secret_basic and client_secret_post -------------------------------------------------------


def test_a_wrong_basic_secret_answers_401_with_a_challenge(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """RFC 6749 §5.2: invalid_client with 401 and WWW-Authenticate when HTTP Basic was used."""
    form = code_exchange_form(client, portal, citizen)
    wrong = Portal(portal.client_id, "not-the-secret")
    response = client.post("/token", data=form, headers=wrong.basic_auth())
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert client.post("/token", data=form, headers=portal.basic_auth()).status_code == 200


def test_a_basic_client_cannot_switch_to_post(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    form = code_exchange_form(client, portal, citizen)
    response = client.post("/token", data={**form, "client_id": portal.client_id, "client_secret": portal.secret})
    assert_invalid_client(response)


def test_a_post_client_authenticates_in_the_body_only(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    post_portal = register_portal(
        app, name="Cổng POST", first_party=True, token_endpoint_auth_method="client_secret_post"
    )
    form = code_exchange_form(client, post_portal, citizen)
    assert_invalid_client(client.post("/token", data=form, headers=post_portal.basic_auth()))
    assert post_as(client, post_portal, "/token", **form).status_code == 200


def test_credentials_in_the_url_are_not_accepted(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    """RFC 6749 §2.3.1: client credentials MUST NOT be included in the request URI."""
    post_portal = register_portal(
        app, name="Cổng POST", first_party=True, token_endpoint_auth_method="client_secret_post"
    )
    form = code_exchange_form(client, post_portal, citizen)
    url = f"/token?client_id={post_portal.client_id}&client_secret={post_portal.secret}"
    assert_invalid_client(client.post(url, data=form))


def test_a_confidential_client_cannot_pose_as_public(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """RFC 6749 §3.2.1: confidential clients MUST authenticate; client_id alone is not enough."""
    form = code_exchange_form(client, portal, citizen)
    assert_invalid_client(client.post("/token", data={**form, "client_id": portal.client_id}))


def test_a_public_client_sending_a_secret_is_refused(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    public = register_portal(app, name="Ứng dụng", first_party=True, token_endpoint_auth_method="none")
    form = code_exchange_form(client, public, citizen)
    assert_invalid_client(client.post("/token", data={**form, "client_id": public.client_id, "client_secret": "x"}))


def test_a_rotated_secret_stops_working_at_once(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    with session_factory(app)() as session:
        new_secret = rotate_secret(session, portal.client_id, actor="test")
        session.commit()
    form = code_exchange_form(client, portal, citizen)
    assert_invalid_client(client.post("/token", data=form, headers=portal.basic_auth()))
    rotated = Portal(portal.client_id, new_secret)
    assert client.post("/token", data=form, headers=rotated.basic_auth()).status_code == 200


def test_another_portals_secret_does_not_authenticate(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    other = register_portal(app, name="Cổng khác", first_party=True)
    form = code_exchange_form(client, portal, citizen)
    assert_invalid_client(client.post("/token", data=form, headers=Portal(portal.client_id, other.secret).basic_auth()))


def test_an_unknown_client_is_invalid_client(client: FlaskClient) -> None:
    response = client.post(
        "/token", data={"grant_type": "client_credentials"}, headers=Portal("nobody", "x").basic_auth()
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


# -- private_key_jwt ------------------------------------------------------------------------------------


def with_assertion(form: dict[str, str], assertion: str) -> dict[str, str]:
    return {**form, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


def token_audience(portal: Portal) -> str:
    return portal.issuer + "/token"


def test_private_key_jwt_authenticates_with_the_registered_key(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    body = tokens(client, jwt_portal, citizen)
    assert "access_token" in body


def test_a_client_assertion_cannot_be_replayed(client: FlaskClient, jwt_portal: Portal, citizen: Citizen) -> None:
    """SECURITY.md V12 (fosite CVE-2020-15222): the jti is remembered."""
    assertion = jwt_portal.assertion(audience=token_audience(jwt_portal))
    first = client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    assert first.status_code == 200, first.get_json()
    replay = client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    assert_invalid_client(replay)


@pytest.mark.parametrize("endpoint", ["/introspect", "/revoke", "/par"])
def test_a_client_assertion_cannot_be_replayed_at_other_endpoints(
    client: FlaskClient, jwt_portal: Portal, endpoint: str
) -> None:
    """Whatever the first request's outcome (here an error at /par), its assertion is spent (V12)."""
    assertion = jwt_portal.assertion(audience=jwt_portal.issuer)
    form = with_assertion({"token": "anything"} if endpoint != "/par" else {"response_type": "code"}, assertion)
    first = client.post(endpoint, data=form)
    assert first.status_code in (200, 400), first.get_data(as_text=True)
    if first.status_code == 400:
        assert first.get_json()["error"] != "invalid_client"
    assert_invalid_client(client.post(endpoint, data=form))


def test_an_assertion_that_lives_too_long_is_refused(client: FlaskClient, jwt_portal: Portal, citizen: Citizen) -> None:
    """A long-lived assertion would outlive the memory of its jti and become replayable."""
    assertion = jwt_portal.assertion(audience=token_audience(jwt_portal), exp=int(time.time()) + 24 * 3600)
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://another-provider.example/token"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3700},
        {"iss": "someone-else"},
        {"jti": None},
        {"exp": None},
    ],
    ids=["wrong audience", "expired", "iss differs from sub", "no jti", "no exp"],
)
def test_an_assertion_with_bad_claims_is_refused(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen, claims: dict[str, Any]
) -> None:
    assertion = jwt_portal.assertion(audience=token_audience(jwt_portal), **claims)
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    )


def test_an_assertion_expired_by_more_than_a_few_seconds_is_refused(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    """The portal's clock may run a little behind ours (5 s at most), not half a minute."""
    now = int(time.time())
    late = jwt_portal.assertion(audience=token_audience(jwt_portal), iat=now - 60, exp=now - 2)
    form = code_exchange_form(client, jwt_portal, citizen)
    assert client.post("/token", data=with_assertion(form, late)).status_code == 200
    stale = jwt_portal.assertion(audience=token_audience(jwt_portal), iat=now - 60, exp=now - 7)
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), stale))
    )


def test_an_assertion_signed_with_another_key_is_refused(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    impostor = Portal(
        jwt_portal.client_id, None, key=factories.rsa_key(kid=jwt_portal.key.kid), issuer=jwt_portal.issuer
    )
    assertion = impostor.assertion(audience=token_audience(jwt_portal))
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    )


def test_an_assertion_naming_another_client_is_refused(
    app: Flask, client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    victim = register_portal(app, name="Cổng nạn nhân", first_party=True, token_endpoint_auth_method="private_key_jwt")
    assertion = jwt_portal.assertion(audience=token_audience(jwt_portal), iss=victim.client_id, sub=victim.client_id)
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, victim, citizen), assertion))
    )


def test_an_embedded_jwk_header_is_not_trusted(client: FlaskClient, jwt_portal: Portal, citizen: Citizen) -> None:
    """SECURITY.md V10: keys come only from the registration, never from the token."""
    attacker = RSAKey.generate_key(2048, parameters={"kid": jwt_portal.key.kid}, private=True)
    now = int(time.time())
    claims = {"iss": jwt_portal.client_id, "sub": jwt_portal.client_id, "aud": token_audience(jwt_portal)}
    header = {"alg": "RS256", "kid": attacker.kid, "jwk": attacker.as_dict(private=False)}
    assertion = jwt.encode(header, {**claims, "jti": "embedded", "iat": now, "exp": now + 60}, attacker)
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    )


def test_alg_none_and_hmac_with_the_public_key_are_refused(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    """SECURITY.md V8 and V9: algorithm confusion with the client's own public key."""
    now = int(time.time())
    claims = {
        "iss": jwt_portal.client_id,
        "sub": jwt_portal.client_id,
        "aud": token_audience(jwt_portal),
        "iat": now,
        "exp": now + 60,
    }
    public = jwt_portal.key.as_dict(private=False)
    pem = jwt_portal.key.as_pem(private=False)
    forgeries = [
        forge({"alg": "none"}, {**claims, "jti": "none-1"}, None),
        forge({"alg": "HS256", "kid": jwt_portal.key.kid}, {**claims, "jti": "hs-1"}, pem),
        forge({"alg": "HS256", "kid": jwt_portal.key.kid}, {**claims, "jti": "hs-2"}, json.dumps(public).encode()),
        forge({"alg": "HS256"}, {**claims, "jti": "hs-3"}, public["n"].encode()),
    ]
    for assertion in forgeries:
        form = with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion)
        assert_invalid_client(client.post("/token", data=form))


def test_a_private_key_jwt_client_cannot_use_a_secret_or_nothing(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    form = code_exchange_form(client, jwt_portal, citizen)
    assert_invalid_client(client.post("/token", data={**form, "client_id": jwt_portal.client_id}))
    assert_invalid_client(client.post("/token", data={**form, "client_id": jwt_portal.client_id, "client_secret": "x"}))


def test_a_secret_client_cannot_present_an_assertion(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    key = factories.rsa_key()
    pretender = Portal(portal.client_id, None, key=key, issuer=portal.issuer)
    assertion = pretender.assertion(audience=token_audience(portal))
    assert_invalid_client(
        client.post("/token", data=with_assertion(code_exchange_form(client, portal, citizen), assertion))
    )


def test_the_par_audience_is_accepted_at_par_and_the_issuer_everywhere(
    client: FlaskClient, jwt_portal: Portal, citizen: Citizen
) -> None:
    """RFC 9126 §2: the issuer is a valid audience at every endpoint."""
    assertion = jwt_portal.assertion(audience=jwt_portal.issuer)
    response = client.post("/token", data=with_assertion(code_exchange_form(client, jwt_portal, citizen), assertion))
    assert response.status_code == 200, response.get_json()


def test_introspection_needs_a_confidential_client(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    """RFC 7662 §2.1: the endpoint MUST require authorization; a public client has none to give."""
    public = register_portal(app, name="Ứng dụng", first_party=True, token_endpoint_auth_method="none")
    body = tokens(client, public, citizen)
    response = client.post("/introspect", data={"token": body["access_token"], "client_id": public.client_id})
    assert_invalid_client(response)
    assert "active" not in response.get_json()


def test_a_suspended_client_cannot_authenticate_anywhere(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    body = tokens(client, portal, citizen)
    suspend_portal(app, portal)
    for path, form in (
        ("/token", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}),
        ("/introspect", {"token": body["access_token"]}),
        ("/revoke", {"token": body["refresh_token"]}),
        ("/par", {"response_type": "code"}),
    ):
        assert_invalid_client(post_as(client, portal, path, **form))
