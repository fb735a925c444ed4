"""Single sign-on and single logout end to end: ``idp serve`` and two reference portals (``python -m portal``)
in their own processes on 127.0.0.1, a citizen's browser (``requests``) going between them over HTTP.

Signed in at one portal, the other signs the citizen in without a password; a portal's sensitive service
steps the sign-in up with the one-time code only. Signing out at one portal (RP-initiated logout) ends
the other's session too, through a back-channel logout token that the logout worker inside ``idp serve``
delivers: to a portal that was down at the time once it is back, and also when the provider session
ends by itself (idle) with no browser coming back. Two provider processes on one PostgreSQL database
serve one issuer: a sign-in at one holds at the other, and a logout at one is seen at once at the other.

That the portal refuses a replayed logout token is tested against the stand-in provider
(``tests/portal/test_logout.py``) and in its store (``tests/portal/test_store.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from idp.context import session_factory
from idp.sso.models import SsoSession
from tests.idp.conftest import enrol_app, make_citizen
from tests.portal.served import Browser, Portal, new_portal
from tests.served import ServedProvider, serving

pytestmark = pytest.mark.slow

NATIONAL = "Cổng Dịch vụ công quốc gia"
PROVINCIAL = "Cổng Dịch vụ công tỉnh Hải Dương"
MFA = "urn:vn:eid:acr:mfa"
#: The logout worker's round every second, a failed delivery retried after 1 s, then 2, 4, 8...
QUICK_WORKER = {"IDP_LOGOUT_WORKER_INTERVAL": "1", "IDP_LOGOUT_RETRY_DELAY": "1"}
#: How long a portal may take to hear of a logout through the back channel.
NOTICE_SECONDS = 15
SSO_COOKIE = "idp_sso"
TIMEOUT = 10

_T = TypeVar("_T")


@dataclass
class Deployment:
    provider: ServedProvider
    national: Portal
    provincial: Portal


@contextmanager
def deployment(provider_app: Flask, directory: Path, **environ: str) -> Iterator[Deployment]:
    """The provider (with *environ*) and the two first-party portals registered with it and running."""
    with serving(provider_app, directory, environ={**QUICK_WORKER, **environ}) as provider:
        portals = [
            new_portal(name, provider.issuer, directory).register(provider_app, first_party=True)
            for name in (NATIONAL, PROVINCIAL)
        ]
        try:
            for portal in portals:
                portal.start()
            yield Deployment(provider, *portals)
        finally:
            for portal in portals:
                portal.stop()


@pytest.fixture
def deployed(provider_app: Flask, tmp_path: Path) -> Iterator[Deployment]:
    with deployment(provider_app, tmp_path) as running:
        yield running


def eventually(probe: Callable[[], _T | None], seconds: float, failure: Callable[[], str]) -> _T:
    """Poll *probe* until it returns something true, at most *seconds*."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"still not after {seconds} s: {failure()}")
        time.sleep(0.2)


def logs(*sources: ServedProvider | Portal) -> str:
    return "\n".join(f"--- {source.log.name} ---\n{source.log.read_text()}" for source in sources)


def sign_in_at_both(browser: Browser, running: Deployment) -> None:
    """A password sign-in at the national portal, then the provincial one rides on the provider session."""
    national, provincial = running.national, running.provincial
    home = browser.open(f"{national.url}/login")
    assert home.url == f"{national.url}/", f"{home.status_code} {home.text[:300]}\n{logs(running.provider)}"
    assert browser.pages in (["login"], ["login", "code"])  # first-party: never a consent page
    browser.pages.clear()
    home = browser.open(f"{provincial.url}/login")
    assert home.url == f"{provincial.url}/", f"{home.status_code} {home.text[:300]}\n{logs(running.provider)}"
    assert browser.pages == []  # nothing typed again
    assert browser.signed_in_at(national) and browser.signed_in_at(provincial)


def signed_in_at_provider(url: str, sso_cookie: str) -> bool:
    """Whether the provider at *url* still honours this SSO cookie (its account page, not the sign-in page)."""
    response = requests.get(f"{url}/", cookies={SSO_COOKIE: sso_cookie}, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def backlog(provider: ServedProvider) -> dict[str, Any]:
    """``idp logout-notices --json``."""
    result = provider.command("logout-notices", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def settled(provider: ServedProvider) -> dict[str, Any]:
    """The backlog once nothing is left to deliver (the provider has recorded every answer)."""
    return eventually(
        lambda: (found := backlog(provider))["pending"] == 0 and found,
        NOTICE_SECONDS,
        lambda: json.dumps(backlog(provider)),
    )


def test_signed_in_at_one_portal_the_other_signs_in_without_a_password(
    deployed: Deployment, provider_app: Flask
) -> None:
    citizen = make_citizen(provider_app, full_name="Lê Thị Hồng", birth_date="1985-03-09", sex="female")
    browser = Browser(citizen)

    national = browser.open(f"{deployed.national.url}/login")
    assert national.url == f"{deployed.national.url}/", logs(deployed.provider, deployed.national)
    assert browser.pages == ["login"]
    assert "Xin chào, Lê Thị Hồng" in national.text

    browser.pages.clear()
    provincial = browser.open(f"{deployed.provincial.url}/login")
    assert provincial.url == f"{deployed.provincial.url}/", logs(deployed.provider, deployed.provincial)
    assert browser.pages == []
    assert "Xin chào, Lê Thị Hồng" in provincial.text
    assert PROVINCIAL in provincial.text

    (at_national,) = deployed.national.sign_ins()
    (at_provincial,) = deployed.provincial.sign_ins()
    assert at_national["claims"]["sid"] == at_provincial["claims"]["sid"]  # one provider session
    assert at_national["claims"]["aud"] == deployed.national.client_id
    assert at_provincial["claims"]["aud"] == deployed.provincial.client_id
    assert at_provincial["claims"]["auth_time"] == at_national["claims"]["auth_time"]


def test_a_sensitive_service_asks_only_for_the_one_time_code(deployed: Deployment, provider_app: Flask) -> None:
    citizen = make_citizen(provider_app, full_name="Phạm Minh Tuấn", birth_date="1977-12-01", sex="male")
    browser = Browser(citizen)
    sign_in_at_both(browser, deployed)
    (before,) = deployed.provincial.sign_ins()
    assert before["claims"]["acr"] == "urn:vn:eid:acr:pwd"
    enrol_app(provider_app, citizen)  # the citizen has set up an authenticator app meanwhile

    browser.pages.clear()
    sensitive = browser.open(f"{deployed.provincial.url}/sensitive")
    assert browser.pages == ["code"], logs(deployed.provider, deployed.provincial)  # no password, no consent
    assert sensitive.url == f"{deployed.provincial.url}/sensitive"
    assert sensitive.status_code == 200, sensitive.text[:500]
    assert MFA in sensitive.text
    (after,) = deployed.provincial.sign_ins()
    assert after["claims"]["acr"] == MFA
    assert set(after["claims"]["amr"]) >= {"pwd", "otp"}

    # The provider session now holds the code: the national portal's sensitive service asks nothing.
    browser.pages.clear()
    sensitive = browser.open(f"{deployed.national.url}/sensitive")
    assert browser.pages == []
    assert sensitive.url == f"{deployed.national.url}/sensitive"
    assert sensitive.status_code == 200, sensitive.text[:500]
    assert MFA in sensitive.text


def test_signing_out_at_one_portal_signs_out_of_the_other_through_the_back_channel(
    deployed: Deployment, provider_app: Flask
) -> None:
    national, provincial = deployed.national, deployed.provincial
    browser = Browser(make_citizen(provider_app, full_name="Đỗ Thu Trang", birth_date="1992-06-15", sex="female"))
    sign_in_at_both(browser, deployed)
    sso_cookie = browser.http.cookies.get(SSO_COOKIE)
    assert sso_cookie

    signed_out = browser.sign_out(national)
    # Straight back from the provider (an id_token_hint of this session asks no confirmation), with state.
    assert signed_out.url.startswith(f"{national.url}/?state="), f"{signed_out.url}\n{logs(deployed.provider)}"
    assert "Bạn đã đăng xuất." in signed_out.text
    assert not browser.signed_in_at(national)
    assert browser.http.cookies.get(SSO_COOKIE) is None
    assert not signed_in_at_provider(deployed.provider.url, sso_cookie)  # ended on the server, not only forgotten

    eventually(
        lambda: not browser.signed_in_at(provincial),
        NOTICE_SECONDS,
        lambda: "the provincial portal is still signed in\n" + logs(deployed.provider, provincial),
    )
    # Both portals were owed a token (the national one had ended its own session already) and got it.
    done = settled(deployed.provider)
    assert done["delivered_last_day"] == 2
    assert (done["failing"], done["abandoned"]) == (0, 0)
    assert "1 session(s) ended" in provincial.log.read_text()
    assert "0 session(s) ended" in national.log.read_text()


def test_after_a_step_up_at_one_portal_signing_out_at_the_other_signs_out_of_both(
    deployed: Deployment, provider_app: Flask
) -> None:
    """The step-up starts a new provider session; the national portal still knows the one before it."""
    national, provincial = deployed.national, deployed.provincial
    citizen = make_citizen(provider_app, full_name="Ngô Bảo Châu", birth_date="1972-06-28", sex="male")
    browser = Browser(citizen)
    sign_in_at_both(browser, deployed)
    enrol_app(provider_app, citizen)
    browser.pages.clear()
    assert MFA in browser.open(f"{provincial.url}/sensitive").text
    assert browser.pages == ["code"]
    (at_national,) = national.sign_ins()
    (at_provincial,) = provincial.sign_ins()
    assert at_national["claims"]["sid"] != at_provincial["claims"]["sid"]

    # The national portal's hint names the earlier session, which the current one took over: no question asked.
    signed_out = browser.sign_out(national)
    assert signed_out.url.startswith(f"{national.url}/?state="), f"{signed_out.url}\n{logs(deployed.provider)}"
    assert browser.http.cookies.get(SSO_COOKIE) is None
    eventually(
        lambda: not browser.signed_in_at(provincial),
        NOTICE_SECONDS,
        lambda: "the provincial portal is still signed in\n" + logs(deployed.provider, provincial),
    )


def test_a_portal_that_was_down_is_signed_out_once_it_is_back(deployed: Deployment, provider_app: Flask) -> None:
    national, provincial = deployed.national, deployed.provincial
    browser = Browser(make_citizen(provider_app, full_name="Vũ Đức Anh", birth_date="1968-02-29", sex="male"))
    sign_in_at_both(browser, deployed)

    provincial.stop()
    browser.sign_out(national)
    assert not browser.signed_in_at(national)

    def failure_to_the_provincial_portal() -> dict[str, Any] | None:
        failures = backlog(deployed.provider)["failures"]
        return next((row for row in failures if row["client_id"] == provincial.client_id), None)

    failure = eventually(
        failure_to_the_provincial_portal, NOTICE_SECONDS, lambda: json.dumps(backlog(deployed.provider))
    )
    assert failure["uri"] == f"{provincial.url}/backchannel-logout"
    assert failure["attempts"] >= 1
    assert failure["last_error"].startswith("no answer")

    provincial.start()  # the same port and session file
    # Retries back off 1, 2, 4, 8 s: the next one comes within about twice the time the portal was down.
    eventually(
        lambda: not browser.signed_in_at(provincial),
        2 * NOTICE_SECONDS,
        lambda: "the restarted portal is still signed in\n" + logs(deployed.provider, provincial),
    )
    assert provincial.sign_ins() == []
    done = settled(deployed.provider)
    assert (done["delivered_last_day"], done["abandoned"]) == (2, 0)
    assert "1 session(s) ended" in provincial.log.read_text()  # told after the restart: it was down before


def test_a_session_idle_too_long_signs_out_of_both_portals_without_the_browser(
    provider_app: Flask, tmp_path: Path
) -> None:
    idle = 8  # long enough for both sign-ins to ride on the session before it idles out
    with deployment(provider_app, tmp_path, IDP_SSO_SESSION_IDLE_TTL=str(idle)) as running:
        national, provincial = running.national, running.provincial
        browser = Browser(make_citizen(provider_app, full_name="Hoàng Văn Nam", birth_date="1959-09-09", sex="male"))
        sign_in_at_both(browser, running)
        portals = (national, provincial)
        refresh_tokens = {
            portal.client_id: (portal.secret, portal.sign_ins()[0]["refresh_token"]) for portal in portals
        }
        assert all(token for _secret, token in refresh_tokens.values())

        # Only the portals' pages are looked at: the provider sees nothing of this browser again.
        eventually(
            lambda: not any(browser.signed_in_at(portal) for portal in portals),
            idle + NOTICE_SECONDS,
            lambda: "still signed in at a portal\n" + logs(running.provider, *portals),
        )

        with session_factory(provider_app)() as session:
            reasons = session.scalars(select(SsoSession.end_reason)).all()
        assert reasons == ["idle timeout"]
        assert "1 session(s) over their limits ended" in running.provider.log.read_text()  # by the worker

        for client_id, (secret, refresh_token) in refresh_tokens.items():
            refused = requests.post(
                f"{running.provider.url}/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=(client_id, secret),
                timeout=TIMEOUT,
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"] == "invalid_grant"


def test_two_provider_processes_share_sign_in_and_logout(
    provider_app: Flask, tmp_path: Path, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several provider processes share a PostgreSQL database")
    with (
        deployment(provider_app, tmp_path) as running,
        serving(
            provider_app, tmp_path, name="second-server", issuer=running.provider.issuer, environ=QUICK_WORKER
        ) as second,
    ):
        first, issuer = running.provider, running.provider.issuer
        national, provincial = running.national, running.provincial
        browser = Browser(make_citizen(provider_app, full_name="Bùi Thị Lan", birth_date="1999-01-31", sex="female"))

        # Signed in at the national portal through the first process...
        browser.open(f"{national.url}/login")
        assert browser.pages == ["login"] and browser.signed_in_at(national), logs(first)
        sso_cookie = browser.http.cookies.get(SSO_COOKIE)
        assert sso_cookie and signed_in_at_provider(second.url, sso_cookie)

        # ...the second process signs the citizen in at the provincial one (the first redeems its code).
        browser.routes = {issuer: second.url}
        browser.pages.clear()
        home = browser.open(f"{provincial.url}/login")
        assert home.url == f"{provincial.url}/", f"{home.status_code} {home.text[:300]}\n{logs(first, second)}"
        assert browser.pages == [] and browser.signed_in_at(provincial)
        (at_national,) = national.sign_ins()
        (at_provincial,) = provincial.sign_ins()
        assert at_national["claims"]["sid"] == at_provincial["claims"]["sid"]
        assert at_provincial["claims"]["iss"] == issuer

        # Signing out at the national portal through the second process ends the session for the first.
        signed_out = browser.sign_out(national)
        assert signed_out.url.startswith(f"{national.url}/?state="), f"{signed_out.url}\n{logs(second)}"
        assert not signed_in_at_provider(first.url, sso_cookie)
        assert not signed_in_at_provider(second.url, sso_cookie)
        eventually(
            lambda: not browser.signed_in_at(provincial),
            NOTICE_SECONDS,
            lambda: "the provincial portal is still signed in\n" + logs(first, second, provincial),
        )
        done = settled(first)
        assert done["delivered_last_day"] == 2
        for portal in (national, provincial):  # each token sent once, by whichever process claimed it
            assert portal.log.read_text().count("back-channel logout: sid=") == 1
