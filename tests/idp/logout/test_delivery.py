"""Back-channel logout tokens: owed by every way a session ends, delivered once, retried, never lost.

The deliverer's HTTP POST is replaced by a recorder here; tests/e2e sends them to real portals.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from idp import context, create_app
from idp.sso.logout_delivery import BACKCHANNEL_EVENT, Deliverer, Round
from idp.sso.logout_notices import backlog
from idp.sso.logout_worker import LogoutWorker
from idp.sso.status_changes import change_account_state, change_identity_status
from tests.conftest import make_settings
from tests.idp.account.conftest import post, signed_in
from tests.idp.conftest import Citizen, Clock, Portal, csrf_token, make_citizen
from tests.idp.flows import introspect, refresh, sign_in_directly, tokens, unverified_parts, verify_like_a_relying_party
from tests.idp.logout.conftest import BACKCHANNEL_A, BACKCHANNEL_B, notices


class Portals:
    """Stands in for the portals' back channels: records every token, answers with a chosen status."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.status: int | Exception = 200
        self.during: Callable[[], None] | None = None

    def __call__(self, uri: str, form: dict[str, str], timeout: float) -> int:
        self.received.append((uri, form["logout_token"]))
        if self.during is not None:
            self.during()
        if isinstance(self.status, Exception):
            raise self.status
        return self.status


@pytest.fixture
def portals() -> Portals:
    return Portals()


def deliverer(app: Flask, portals: Portals) -> Deliverer:
    return Deliverer(context.session_factory(app), context.keyring(app), context.settings(app), post=portals)


def worker(app: Flask, portals: Portals) -> LogoutWorker:
    factory, keyring, settings = context.session_factory(app), context.keyring(app), context.settings(app)
    return LogoutWorker(factory, keyring, settings, deliverer=deliverer(app, portals))


def test_the_logout_token_is_what_a_portal_expects(
    app: Flask, portal_a: Portal, citizen: Citizen, portals: Portals
) -> None:
    browser = signed_in(app, citizen)
    body = tokens(browser, portal_a, None)
    browser.get("/logout?id_token_hint=" + body["id_token"])
    assert deliverer(app, portals).deliver_due().delivered == 1
    [(uri, token)] = portals.received
    header, claims = verify_like_a_relying_party(app.test_client(), token, algorithms=["RS256"])
    _id_header, id_claims = unverified_parts(body["id_token"])
    assert uri == BACKCHANNEL_A and header["typ"] == "logout+jwt"
    assert claims["iss"] == id_claims["iss"] and claims["aud"] == portal_a.client_id
    assert claims["sub"] == id_claims["sub"] and claims["sid"] == id_claims["sid"]
    assert claims["events"] == {BACKCHANNEL_EVENT: {}} and "nonce" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 120 and claims["jti"]
    assert notices(app)[0].delivered_at is not None
    assert deliverer(app, portals).deliver_due().delivered == 0  # delivered once


@pytest.mark.parametrize("failure", [503, 400, ConnectionRefusedError("refused")], ids=["503", "400", "down"])
def test_a_portal_that_fails_gets_a_fresh_token_later(
    app: Flask, portal_a: Portal, citizen: Citizen, portals: Portals, clock: Clock, failure: int | Exception
) -> None:
    sign_in_and_out(app, citizen, portal_a)
    portals.status = failure
    assert deliverer(app, portals).deliver_due().failed == 1
    [notice] = notices(app)
    assert notice.attempts == 1 and notice.last_error and notice.delivered_at is None
    assert deliverer(app, portals).deliver_due().failed == 0  # not due before its back-off
    portals.status = 200
    clock.advance(6)
    assert deliverer(app, portals).deliver_due().delivered == 1
    first, second = (unverified_parts(token)[1] for _uri, token in portals.received)
    assert first["jti"] != second["jti"]


def test_the_back_off_doubles_up_to_an_hour(app: Flask, portals: Portals) -> None:
    waits = [deliverer(app, portals).backoff(attempt) for attempt in (1, 2, 3, 30)]
    assert waits == [dt.timedelta(seconds=5), dt.timedelta(seconds=10), dt.timedelta(seconds=20), dt.timedelta(hours=1)]


def test_a_notice_is_abandoned_after_the_deadline(
    app: Flask, portal_a: Portal, citizen: Citizen, portals: Portals, clock: Clock
) -> None:
    sign_in_and_out(app, citizen, portal_a)
    portals.status = 503
    deliverer(app, portals).deliver_due()
    clock.advance(context.settings(app).logout_notice_deadline + 1)
    assert deliverer(app, portals).deliver_due().abandoned == 1
    assert notices(app)[0].abandoned_at is not None
    assert deliverer(app, portals).deliver_due() == Round()


def test_two_deliverers_never_send_one_notice_at_the_same_time(
    app: Flask, portal_a: Portal, citizen: Citizen, portals: Portals
) -> None:
    sign_in_and_out(app, citizen, portal_a)
    rounds = []
    portals.during = lambda: rounds.append(deliverer(app, Portals()).deliver_due())  # a second one, mid-send
    assert deliverer(app, portals).deliver_due().delivered == 1
    assert rounds == [Round()] and len(portals.received) == 1


def sign_in_and_out(app: Flask, citizen: Citizen, portal: Portal) -> None:
    """The citizen signs in at *portal*, then signs out on the provider's page: one notice is owed."""
    browser = signed_in(app, citizen)
    tokens(browser, portal, None)
    token = csrf_token(browser.get("/logout").get_data(as_text=True))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303


# -- every way a session ends ---------------------------------------------------------------------------


def _password_change(app: Flask, citizen: Citizen, _browser) -> None:  # type: ignore[no-untyped-def]
    other = signed_in(app, citizen)
    new = "a brand new long passphrase"
    assert post(other, "/account/password", current=citizen.password, new=new, repeat=new).status_code == 303


def _ended_from_the_account_page(app: Flask, citizen: Citizen, _browser) -> None:  # type: ignore[no-untyped-def]
    other = signed_in(app, citizen)
    assert post(other, "/account/sessions/end-others").status_code == 303


def _another_citizen_signs_in(app: Flask, _citizen: Citizen, browser) -> None:  # type: ignore[no-untyped-def]
    sign_in_directly(browser, make_citizen(app))


def _supervisor(action: Callable[..., object], transition: str, **extra: object) -> Callable[..., None]:
    def change(app: Flask, citizen: Citizen, _browser) -> None:  # type: ignore[no-untyped-def]
        with context.session_factory(app)() as session:
            action(session, citizen.pin, transition, reason="test", actor="test:supervisor", **extra)
            session.commit()

    return change


ENDINGS = {
    "password changed elsewhere": _password_change,
    "ended from the account page": _ended_from_the_account_page,
    "another citizen signs in": _another_citizen_signs_in,
    "account suspended": _supervisor(change_account_state, "suspend"),
    "account revoked": _supervisor(change_account_state, "revoke"),
    "identity suspended": _supervisor(change_identity_status, "suspend"),
    "death recorded": _supervisor(change_identity_status, "deceased", died_on=dt.date.today()),
}


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_every_ending_owes_the_portals_a_token(
    app: Flask, portal_a: Portal, portal_b: Portal, citizen: Citizen, ending: Callable[..., None]
) -> None:
    browser = signed_in(app, citizen)
    at_a, at_b = tokens(browser, portal_a, None), tokens(browser, portal_b, None)
    ending(app, citizen, browser)
    sid = unverified_parts(at_a["id_token"])[1]["sid"]
    assert {(n.uri, n.sid) for n in notices(app)} == {(BACKCHANNEL_A, sid), (BACKCHANNEL_B, sid)}
    assert introspect(app.test_client(), portal_b, at_b["access_token"])["active"] is False


def test_a_forgotten_session_is_ended_by_the_sweeper_and_its_portals_told(
    app: Flask, portal_a: Portal, portal_b: Portal, citizen: Citizen, portals: Portals, clock: Clock
) -> None:
    """The browser never comes back: past the idle limit the worker ends the session, the portals get
    their tokens and the refresh tokens die with it (SECURITY.md decision 7)."""
    browser = signed_in(app, citizen)
    at_a, at_b = tokens(browser, portal_a, None), tokens(browser, portal_b, None)
    assert worker(app, portals).run_round().sessions_ended == 0
    clock.advance(context.settings(app).sso_session_idle_ttl + 1)
    done = worker(app, portals).run_round()
    assert done.sessions_ended == 1 and done.delivery.delivered == 2
    assert {uri for uri, _token in portals.received} == {BACKCHANNEL_A, BACKCHANNEL_B}
    assert {n.reason for n in notices(app)} == {"idle timeout"}
    backend = app.test_client()
    assert refresh(backend, portal_a, at_a["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert introspect(backend, portal_b, at_b["access_token"])["active"] is False
    assert worker(app, portals).run_round().sessions_ended == 0


def test_a_session_at_its_absolute_limit_is_ended_too(
    app: Flask, portal_a: Portal, citizen: Citizen, portals: Portals, clock: Clock
) -> None:
    browser = signed_in(app, citizen)
    tokens(browser, portal_a, None)
    settings = context.settings(app)
    for _ in range(settings.sso_session_absolute_ttl // (settings.sso_session_idle_ttl - 60) + 1):
        clock.advance(settings.sso_session_idle_ttl - 60)
        worker(app, portals).run_round()
        browser.get("/")  # the citizen keeps coming back
    assert {n.reason for n in notices(app)} == {"absolute lifetime reached"}


def test_a_notice_being_sent_is_pending_not_failing(
    app: Flask, portal_a: Portal, citizen: Citizen, portals: Portals
) -> None:
    """The claim counts the attempt before the POST: until an answer is recorded, nothing has failed."""
    sign_in_and_out(app, citizen, portal_a)
    seen = []

    def look() -> None:
        with context.session_factory(app)() as session:
            seen.append(backlog(session))

    portals.during = look
    deliverer(app, portals).deliver_due()
    [during] = seen
    assert (during.pending, during.failing, during.failures) == (1, 0, [])


def test_a_worker_whose_database_fails_logs_one_line_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An unmigrated (or unreachable) database: each round logs the driver's sentence, no traceback, and the
    worker keeps its thread."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path, logout_worker_interval=1))
    stop = LogoutWorker(context.session_factory(app), context.keyring(app), context.settings(app)).start()
    try:
        deadline = time.monotonic() + 10
        while len([r for r in caplog.records if r.name == "idp.logout"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        context.engine(app).dispose()
    failures = [record for record in caplog.records if record.name == "idp.logout"]
    assert len(failures) >= 2
    assert all("no such table" in record.getMessage() and record.exc_info is None for record in failures)
