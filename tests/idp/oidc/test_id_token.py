"""ID tokens as a relying party verifies them with the published JWKS: the real authentication event,
pairwise subjects that never reveal the PIN, the nonce, sid and at_hash (OIDC Core 2, 3.1.3.6, 8.1;
SECURITY.md §6.5, decision 5; ASVS 6.8.4)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.idp.conftest import (
    Citizen,
    Clock,
    Portal,
    authorize,
    csrf_token,
    exchange,
    make_citizen,
    pkce_pair,
    query_of,
    register_portal,
)
from tests.idp.flows import introspect, sign_in_directly, start, tokens, verify_like_a_relying_party


def id_token_of(
    client: FlaskClient, portal: Portal, citizen: Citizen | None, alg: str = "RS256", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    body = tokens(client, portal, citizen, **extra)
    header, claims = verify_like_a_relying_party(client, body["id_token"], algorithms=[alg])
    return header, claims, body


def half_hash(value: str, alg: str) -> str:
    digest = (hashlib.sha512 if alg == "EdDSA" else getattr(hashlib, "sha" + alg[2:]))(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # the relying party's library; OIDC still names it EdDSA
@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_the_id_token_verifies_with_the_jwks_and_carries_the_required_claims(
    app: Flask, client: FlaskClient, citizen: Citizen, settings, alg: str
) -> None:
    portal = register_portal(app, name=f"Cổng {alg}", first_party=True, id_token_signed_response_alg=alg)
    header, claims, body = id_token_of(client, portal, citizen, alg=alg, nonce=f"nonce-{alg}")
    assert header["alg"] == alg
    assert header["typ"] == "JWT"
    assert claims["iss"] == settings.issuer
    assert claims["aud"] == portal.client_id
    assert claims["exp"] - claims["iat"] == settings.id_token_ttl
    assert claims["nonce"] == f"nonce-{alg}"
    assert claims["acr"] == "urn:vn:eid:acr:pwd"
    assert claims["amr"] == ["pwd"]
    assert claims["at_hash"] == half_hash(body["access_token"], alg)


def test_auth_time_is_the_real_sign_in_time_not_the_token_time(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    """SECURITY.md §6.5: Authlib would default auth_time to now."""
    clock.advance(0)
    signed_in_at = int(time.time())
    sign_in_directly(client, citizen)
    clock.advance(300)
    _, claims, _ = id_token_of(client, portal, None)
    assert abs(claims["auth_time"] - signed_in_at) <= 1
    assert claims["iat"] - claims["auth_time"] >= 299


def test_sid_names_the_sso_session(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    """OIDC Front/Back-Channel Logout: the same session gives the same sid, a new sign-in a new one."""
    _, first, _ = id_token_of(client, portal, citizen)
    _, same_session, _ = id_token_of(client, portal, None)
    _, new_session, _ = id_token_of(client, portal, citizen, prompt="login")
    assert first["sid"] and first["sid"] == same_session["sid"]
    assert new_session["sid"] != first["sid"]


def test_without_a_nonce_there_is_no_nonce_claim(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    _, claims, _ = id_token_of(client, portal, citizen, nonce=None)
    assert "nonce" not in claims


def test_sub_is_pairwise_stable_and_never_the_pin(app: Flask, client: FlaskClient, citizen: Citizen, settings) -> None:
    """OIDC Core 8.1: same sector same sub; another sector another sub; decision 5: never the PIN."""
    hanoi = register_portal(app, name="Cổng Hà Nội", first_party=True)
    same_sector = register_portal(app, name="Cổng Hà Nội 2", first_party=True)
    other_sector = register_portal(app, name="Cổng Y tế", first_party=True, sector="yte.gov.vn")
    subs = {}
    for name, portal in (("hanoi", hanoi), ("again", hanoi), ("same", same_sector), ("other", other_sector)):
        _, claims, body = id_token_of(client, portal, citizen)
        subs[name] = claims["sub"]
        for token, alg in ((body["id_token"], "RS256"), (body["access_token"], settings.access_token_alg)):
            assert citizen.pin not in json.dumps(verify_like_a_relying_party(client, token, algorithms=[alg]))
    assert subs["hanoi"] == subs["again"] == subs["same"]
    assert subs["other"] != subs["hanoi"]


def test_two_citizens_never_share_a_sub(app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    other = make_citizen(app, full_name="Lê Văn Bình", birth_date="1975-02-02", sex="male")
    _, first, _ = id_token_of(client, portal, citizen)
    _, second, _ = id_token_of(client, portal, other, prompt="login")
    assert first["sub"] != second["sub"]


def test_profile_claims_go_to_userinfo_unless_asked_for_in_the_id_token(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    _, plain, _ = id_token_of(client, portal, citizen, scope="openid profile")
    assert "name" not in plain
    requested = {"id_token": {"name": None, "birthdate": {"essential": True}, "pin": None, "address": None}}
    _, asked, _ = id_token_of(client, portal, None, scope="openid profile", claims=json.dumps(requested))
    assert asked["name"] == "Nguyễn Thị Mai"
    assert asked["birthdate"] == "1990-04-05"
    assert "pin" not in asked  # the pin scope was neither allowed nor granted
    assert "address" not in asked  # allowed to the portal, but not requested as a scope


@pytest.mark.parametrize("claims", ["not json", '["list"]', '{"access_token": {}}', '{"id_token": "name"}'])
def test_a_malformed_claims_parameter_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen, claims: str
) -> None:
    query, _ = authorize(client, portal, citizen, claims=claims)
    assert query["error"] == "invalid_request"


def test_the_id_token_is_not_accepted_as_an_access_token_elsewhere(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    _, _, body = id_token_of(client, portal, citizen)
    assert introspect(client, portal, body["id_token"]) == {"active": False}


def level_page(client: FlaskClient, portal: Portal, citizen: Citizen, **params: str) -> tuple[str, str]:
    """Sign in, then send the portal's request: the provider answers with the identity-level page."""
    sign_in_directly(client, citizen)
    location = start(client, portal, **params).headers["Location"]
    assert urlsplit(location).path == "/login/level", location
    html = client.get(location).get_data(as_text=True)
    return html, re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)


def test_an_essential_acr_that_cannot_be_met_is_a_failed_authentication(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings
) -> None:
    """OIDC Core 5.5.1.1 (SECURITY.md §1.8): never a token that silently carries a weaker acr. The citizen
    is told how to reach level 2, and the only way on is back to the portal."""
    wanted = {"id_token": {"acr": {"essential": True, "values": ["urn:vn:eid:acr:mfa:ial2"]}}}
    html, interaction = level_page(client, portal, citizen, claims=json.dumps(wanted), state="acr")
    assert 'name="go_on"' not in html
    back = client.post("/login/level", data={"csrf_token": csrf_token(html), "interaction": interaction, "back": "x"})
    query = query_of(back.headers["Location"])
    assert "code" not in query
    assert query["error"] == "unmet_authentication_requirements"
    assert (query["state"], query["iss"]) == ("acr", settings.issuer)


def test_an_essential_acr_that_is_met_is_returned(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    wanted = {"id_token": {"acr": {"essential": True, "values": ["urn:vn:eid:acr:pwd"]}}}
    _, claims, _ = id_token_of(client, portal, citizen, claims=json.dumps(wanted))
    assert claims["acr"] == "urn:vn:eid:acr:pwd"


def test_a_voluntary_acr_above_the_identity_level_gets_the_acr_actually_achieved(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """acr_values is a wish (OIDC Core 3.1.2.1): a level-1 citizen may go on, and the token tells the truth."""
    verifier, challenge = pkce_pair()
    html, interaction = level_page(client, portal, citizen, challenge=challenge, acr_values="urn:vn:eid:acr:mfa:ial2")
    assert 'name="go_on"' in html
    go_on = client.post("/login/level", data={"csrf_token": csrf_token(html), "interaction": interaction, "go_on": "x"})
    resumed = client.get(go_on.headers["Location"])
    body = exchange(client, portal, query_of(resumed.headers["Location"])["code"], verifier).get_json()
    _, claims = verify_like_a_relying_party(client, body["id_token"], algorithms=["RS256"])
    assert (claims["acr"], claims["amr"]) == ("urn:vn:eid:acr:pwd", ["pwd"])
