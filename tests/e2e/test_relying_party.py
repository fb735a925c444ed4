"""End to end: an independent relying party in its own process, over real HTTP, against ``idp serve``.

The provider runs exactly as deployed (``idp serve`` under granian, configured by ``IDP_*``
variables) on a free port of 127.0.0.1; the relying party (``relying_party.py``, Authlib's OAuth
client, nothing of this project) runs discovery → code flow with PKCE → ID token validation →
userinfo → refresh → revocation → introspection, and prints what it saw as JSON.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from tests.served import PASSWORD, free_port, seed

pytestmark = pytest.mark.slow

RELYING_PARTY = Path(__file__).with_name("relying_party.py")


def run_relying_party(config: dict[str, str], log: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-I", str(RELYING_PARTY)],  # -I: no project directory on sys.path
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"relying party failed:\n{result.stderr}\n--- server log ---\n{log.read_text()}"
    return json.loads(result.stdout)


def test_relying_party_imports_nothing_of_the_project() -> None:
    tree = ast.parse(RELYING_PARTY.read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    third_party = {name.split(".")[0] for name in modules} - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"authlib", "requests", "joserfc"}


def test_independent_relying_party_over_http(server: tuple[str, Path], provider_app: Flask) -> None:
    issuer, log = server
    seeded = seed(provider_app, f"http://127.0.0.1:{free_port()}/callback")
    report = run_relying_party(
        {
            "issuer": issuer,
            "client_id": seeded.client_id,
            "client_secret": seeded.secret,
            "redirect_uri": seeded.redirect_uri,
            "pin": seeded.pin,
            "password": PASSWORD,
        },
        log,
    )

    discovery = report["discovery"]
    assert discovery["issuer"] == issuer
    assert discovery["iss_parameter_supported"] is True
    assert discovery["code_challenge_methods"] == ["S256"]
    assert discovery["private_members_in_jwks"] == []

    first = report["first"]
    assert first["authorization"] == {
        "pages": ["login", "consent"],
        "iss": issuer,
        "state_matches": True,
        "code_challenge_method": "S256",
    }
    assert first["token"]["token_type"] == "Bearer"
    assert first["token"]["has"] == ["access_token", "id_token", "refresh_token"]

    id_token = first["id_token"]
    assert id_token["_alg"] == "RS256"
    assert id_token["_kid"] in discovery["jwks_kids"]
    assert id_token["_tampered_rejected"] is True
    assert id_token["iss"] == issuer
    assert id_token["aud"] == seeded.client_id
    assert id_token["amr"] == ["pwd"]
    assert {"nonce", "at_hash", "auth_time", "acr", "sid"} <= set(id_token)
    assert seeded.pin not in json.dumps(report)  # pairwise sub, and no PIN without the pin scope

    assert first["userinfo"]["status"] == 200
    assert first["userinfo"]["claims"]["sub"] == id_token["sub"]
    assert first["userinfo"]["claims"]["name"] == "Trần Văn Bình"

    introspection = first["introspection"]
    assert introspection["access_token"]["active"] is True
    assert introspection["access_token"]["client_id"] == seeded.client_id
    assert introspection["access_token"]["sub"] == id_token["sub"]
    assert introspection["refresh_token"]["active"] is True

    refresh = first["refresh"]
    assert refresh["new_refresh_token"] is True
    assert refresh["new_access_token"] is True
    assert refresh["id_token_same_sub"] is True
    assert refresh["id_token_same_auth_time"] is True
    assert refresh["old_refresh_token_introspected"] == {"active": False}
    assert refresh["new_refresh_token_introspected"]["active"] is True

    access = first["revocation"]["access_token"]
    assert access["before"]["active"] is True
    assert access["status"] == 200
    assert access["after"] == {"active": False}
    assert access["userinfo_after"] == 401
    assert access["refresh_token_still_active"] is True

    refresh_revocation = first["revocation"]["refresh_token"]
    assert refresh_revocation["before"]["active"] is True
    assert refresh_revocation["status"] == 200
    assert refresh_revocation["after"] == {"active": False}
    assert refresh_revocation["refresh_after"] == "invalid_grant"
    assert refresh_revocation["first_access_token_after"] == {"active": False}
    assert first["revocation"]["unknown_token_status"] == 200

    second = report["second"]
    assert second["pages"] == []  # single sign-on: no sign-in page, consent already given
    assert second["sub"] == id_token["sub"]
    assert second["auth_time"] == id_token["auth_time"]  # the same authentication event
    assert second["sid"] == id_token["sid"]  # the same SSO session
    assert second["replayed_refresh"] == "invalid_grant"
    assert second["rotated_refresh_token_after_replay"] == {"active": False}
