"""The portal's settings: every instance from its own ``PORTAL_*`` variables, mistakes caught at start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from portal.config import ConfigError, load_settings
from tests.served import ROOT

GOOD = {
    "PORTAL_ISSUER": "http://127.0.0.1:5000",
    "PORTAL_CLIENT_ID": "client-1",
    "PORTAL_CLIENT_SECRET": "secret-1",
    "PORTAL_SECRET_KEY": "x" * 32,
}


def test_an_instance_is_described_by_its_variables() -> None:
    settings = load_settings(
        {**GOOD, "PORTAL_NAME": "Cổng Dịch vụ công tỉnh Hải Dương", "PORTAL_PORT": "5002", "OTHER": "ignored"}
    )
    assert settings.name == "Cổng Dịch vụ công tỉnh Hải Dương"
    assert settings.redirect_uri == "http://127.0.0.1:5002/callback"
    assert settings.post_logout_redirect_uri == "http://127.0.0.1:5002/"
    assert settings.backchannel_logout_uri == "http://127.0.0.1:5002/backchannel-logout"
    assert settings.frontchannel_logout_uri == "http://127.0.0.1:5002/frontchannel-logout"
    assert settings.cookie_name == "portal_session_5002"  # two portals on one host keep apart
    assert settings.issuer_origin == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"PORTAL_ISSUER": ""}, "PORTAL_ISSUER is required"),
        ({"PORTAL_CLIENT_SECRET": ""}, "PORTAL_CLIENT_SECRET is required"),
        ({"PORTAL_SECRET_KEY": "short"}, "PORTAL_SECRET_KEY must be at least 32"),
        ({"PORTAL_ISSUER": "http://idp.example.vn"}, "PORTAL_ISSUER must be an https URL"),
        ({"PORTAL_ISSUER": "https://idp.example.vn/?x=1"}, "PORTAL_ISSUER must be an https URL"),
        ({"PORTAL_URL": "http://portal.example.vn"}, "PORTAL_URL must be an https URL"),
        ({"PORTAL_HOST": "0.0.0.0"}, "PORTAL_HOST must be a loopback address"),
        ({"PORTAL_PORT": "many"}, "PORTAL_PORT must be a whole number"),
        ({"PORTAL_PORT": "70000"}, "PORTAL_PORT must be between"),
        ({"PORTAL_SCOPE": "profile"}, "PORTAL_SCOPE must contain openid"),
        ({"PORTAL_LOGOUT_TOKEN_MAX_AGE": "0"}, "PORTAL_LOGOUT_TOKEN_MAX_AGE must be a positive"),
        ({"PORTAL_CLIENTID": "typo"}, "Unknown variable PORTAL_CLIENTID"),
    ],
)
def test_a_mistake_stops_the_start_with_a_sentence(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({**GOOD, **changes})


def test_an_https_issuer_and_portal_url_are_accepted() -> None:
    settings = load_settings({**GOOD, "PORTAL_ISSUER": "https://id.gov.vn", "PORTAL_URL": "https://dichvucong.gov.vn/"})
    assert settings.redirect_uri == "https://dichvucong.gov.vn/callback"
    assert settings.secure_cookies


def test_the_command_refuses_a_bad_configuration_without_a_traceback() -> None:
    environ = {"PATH": "/usr/bin:/bin", "PORTAL_ISSUER": "http://127.0.0.1:5000"}
    result = subprocess.run(
        [sys.executable, "-m", "portal"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stderr.startswith("portal: PORTAL_CLIENT_ID is required")
    assert "Traceback" not in result.stderr
