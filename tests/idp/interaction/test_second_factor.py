"""The second factor in a sign-in: the code step after the password, step-up without the password,
enrolment, recovery codes, the identity-level page; and the attacks on each (ASVS 6.5, 7.2.4;
SECURITY.md §6.8, decision 4)."""

from __future__ import annotations

import re
import time
from urllib.parse import unquote, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from identity import bind_card, otp, throttle, verify_in_person
from identity.authn import find_account
from idp import context
from idp.context import session_factory
from idp.sso.sessions import end_sessions_of_account
from idp.sso.status_changes import change_account_state
from tests import factories
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
)
from tests.idp.flows import login_form, start, verify_like_a_relying_party

MFA = "urn:vn:eid:acr:mfa"


def interaction_of(html: str) -> str:
    return re.search(r'name="interaction" type="hidden" value="([^"]*)"', html).group(1)


def password_step(browser: FlaskClient, citizen: Citizen, location: str = "/login") -> TestResponse:
    _html, token, interaction = login_form(browser, location)
    form = {"csrf_token": token, "interaction": interaction, "pin": citizen.pin, "password": citizen.password}
    return browser.post("/login", data=form)


def code_step(browser: FlaskClient, location: str, code: str, path: str = "/login/code") -> TestResponse:
    html = browser.get(location).get_data(as_text=True)
    return browser.post(path, data={"csrf_token": csrf_token(html), "interaction": interaction_of(html), "code": code})


def signed_in(browser: FlaskClient, portal: Portal) -> bool:
    return "code" in query_of(start(browser, portal, prompt="none").headers["Location"])


def id_token_claims(client: FlaskClient, portal: Portal, citizen: Citizen, **extra: str) -> dict:
    query, verifier = authorize(client, portal, citizen, **extra)
    body = exchange(client, portal, query["code"], verifier).get_json()
    return verify_like_a_relying_party(client, body["id_token"], algorithms=["RS256"])[1]


# -- the code step -----------------------------------------------------------------------------------


def test_a_citizen_with_an_app_gives_a_code_after_the_password(
    client: FlaskClient, portal: Portal, citizen_with_app: Citizen
) -> None:
    claims = id_token_claims(client, portal, citizen_with_app)
    assert claims["acr"] == MFA
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_the_password_alone_starts_no_session(client: FlaskClient, portal: Portal, citizen_with_app: Citizen) -> None:
    """Step skipping: until the code, the sign-in is a row on the server, and the browser has no session."""
    response = password_step(client, citizen_with_app)
    assert urlsplit(response.headers["Location"]).path == "/login/code"
    assert not signed_in(client, portal)
    assert query_of(start(client, portal, prompt="none").headers["Location"])["error"] == "login_required"


def test_a_wrong_code_is_refused_and_the_right_one_then_works(
    client: FlaskClient, portal: Portal, citizen_with_app: Citizen
) -> None:
    location = password_step(client, citizen_with_app).headers["Location"]
    wrong = code_step(client, location, citizen_with_app.wrong_code())
    assert wrong.status_code == 400
    assert not signed_in(client, portal)
    assert code_step(client, location, citizen_with_app.code()).status_code == 303
    assert signed_in(client, portal)


@pytest.mark.parametrize("typed", ["１２３４５６", "12345", "1234567", "12 3456", "abcdef"])
def test_only_six_ascii_digits_are_a_code(client: FlaskClient, citizen_with_app: Citizen, typed: str) -> None:
    """pyotp would NFKC-normalise full-width digits into a valid code (SECURITY.md §6.8)."""
    location = password_step(client, citizen_with_app).headers["Location"]
    genuine = citizen_with_app.code()
    full_width = genuine.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for attempt in (typed, full_width):
        assert code_step(client, location, attempt).status_code == 400


def test_a_code_is_accepted_once(app: Flask, portal: Portal, citizen_with_app: Citizen) -> None:
    """ASVS 6.5.1: a code seen once (here by another browser, as a phisher would relay it) never works again."""
    first, second = app.test_client(), app.test_client()
    code = citizen_with_app.code()
    at_first = password_step(first, citizen_with_app).headers["Location"]
    at_second = password_step(second, citizen_with_app).headers["Location"]
    assert code_step(first, at_first, code).status_code == 303
    assert code_step(second, at_second, code).status_code == 400
    assert not signed_in(second, portal)


def test_a_code_two_steps_away_is_refused(client: FlaskClient, citizen_with_app: Citizen) -> None:
    """At most one time step of drift either way (30 s)."""
    totp = pyotp.TOTP(citizen_with_app.otp_secret)
    now = totp.timecode(time.time())
    location = password_step(client, citizen_with_app).headers["Location"]
    for step in (now - 2, now + 3):
        assert code_step(client, location, totp.generate_otp(step)).status_code == 400


def test_a_sign_in_under_way_works_in_its_own_browser_only_and_once(
    app: Flask, portal: Portal, citizen_with_app: Citizen
) -> None:
    browser = app.test_client()
    location = password_step(browser, citizen_with_app).headers["Location"]
    pending_cookie = browser.get_cookie("idp_pending")
    assert pending_cookie is not None
    stranger = app.test_client()  # no cookie: another browser gets nothing but the sign-in page
    html = stranger.get(location)
    assert html.status_code == 303 and urlsplit(html.headers["Location"]).path == "/login"
    assert code_step(browser, location, citizen_with_app.code()).status_code == 303
    replay = app.test_client()
    replay.set_cookie("idp_pending", pending_cookie.value)
    assert replay.get(location).headers["Location"].startswith("/login")  # used: it cannot start a second session
    assert not signed_in(replay, portal)


def test_a_sign_in_under_way_expires(client: FlaskClient, citizen_with_app: Citizen, clock: Clock) -> None:
    location = password_step(client, citizen_with_app).headers["Location"]
    clock.advance(6 * 60)
    assert urlsplit(client.get(location).headers["Location"]).path == "/login"


def test_every_sign_in_gets_a_new_session_identifier(client: FlaskClient, citizen_with_app: Citizen) -> None:
    """Session fixation: the cookie a browser had before the sign-in is not the one after it."""
    before = client.get_cookie("idp_sso")
    location = password_step(client, citizen_with_app).headers["Location"]
    assert client.get_cookie("idp_sso") is None or client.get_cookie("idp_sso") == before
    code_step(client, location, citizen_with_app.code())
    after = client.get_cookie("idp_sso")
    assert after is not None and (before is None or after.value != before.value)


def test_guessing_codes_waits_then_locks_the_code_only(
    app: Flask, client: FlaskClient, citizen_with_app: Citizen, clock: Clock
) -> None:
    """Separate counters (Keycloak #26177): wrong codes lock the code step, and only a supervisor lifts it."""
    settings = context.settings(app)
    location = password_step(client, citizen_with_app).headers["Location"]
    wrong = citizen_with_app.wrong_code()
    statuses = []
    for _ in range(settings.lock_after_failures):
        clock.advance(16 * 60)  # past every delay, so each guess is counted
        location = password_step(client, citizen_with_app).headers["Location"]
        statuses.append(code_step(client, location, wrong).status_code)
    assert set(statuses) == {400}
    clock.advance(16 * 60)
    location = password_step(client, citizen_with_app).headers["Location"]  # the password still works ...
    locked = code_step(client, location, citizen_with_app.code())  # ... the right code does not
    assert locked.status_code == 403
    with session_factory(app)() as session:
        account = find_account(session, citizen_with_app.pin)
        assert account is not None
        assert throttle.locked_factors(session, account.id) == ["otp"]


def test_a_wrong_code_makes_the_next_attempt_wait(client: FlaskClient, app: Flask, citizen_with_app: Citizen) -> None:
    settings = context.settings(app)
    location = password_step(client, citizen_with_app).headers["Location"]
    for _ in range(settings.free_failures):
        assert code_step(client, location, citizen_with_app.wrong_code()).status_code == 400
    assert code_step(client, location, citizen_with_app.wrong_code()).status_code == 400  # counted: now it waits
    assert code_step(client, location, citizen_with_app.code()).status_code == 429


# -- recovery codes ----------------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_asks_for_a_new_app(
    app: Flask, portal: Portal, citizen_with_app: Citizen
) -> None:
    recovery = citizen_with_app.recovery_codes[0]
    browser = app.test_client()
    location = password_step(browser, citizen_with_app).headers["Location"]
    used = code_step(browser, location.replace("/login/code", "/login/recovery"), recovery.lower(), "/login/recovery")
    assert used.status_code == 303
    assert urlsplit(used.headers["Location"]).path == "/otp/enrol"
    assert signed_in(browser, portal)
    again = app.test_client()
    location = password_step(again, citizen_with_app).headers["Location"]
    reused = code_step(again, location.replace("/login/code", "/login/recovery"), recovery, "/login/recovery")
    assert reused.status_code == 400
    assert not signed_in(again, portal)


# -- step-up -----------------------------------------------------------------------------------------


def test_a_portal_asking_for_mfa_gets_only_the_code_step(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """A signed-in citizen is not asked for the password again; the session gets a new identifier."""
    assert id_token_claims(client, portal, citizen)["acr"] == "urn:vn:eid:acr:pwd"
    with session_factory(app)() as session:  # the citizen sets up an app afterwards
        account = find_account(session, citizen.pin)
        settings = context.settings(app)
        enrolment = otp.start_enrolment(session, account, kek=settings.key_encryption_key_bytes(), issuer="x")
        citizen.otp_secret = enrolment.secret
        otp.confirm_enrolment(session, account, citizen.code(), kek=settings.key_encryption_key_bytes(), actor="t")
        session.commit()
    before = client.get_cookie("idp_sso").value
    step_up = start(client, portal, acr_values=MFA)
    assert urlsplit(step_up.headers["Location"]).path == "/login/code"
    claims = id_token_claims(client, portal, citizen, acr_values=MFA)
    assert (claims["acr"], claims["amr"]) == (MFA, ["pwd", "otp", "mfa"])
    assert client.get_cookie("idp_sso").value != before


def test_a_portal_asking_for_mfa_of_a_citizen_without_an_app_gets_an_enrolment_first(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    verifier, challenge = pkce_pair()
    asked = start(client, portal, challenge=challenge, acr_values=MFA).headers["Location"]
    response = password_step(client, citizen, asked)
    assert urlsplit(response.headers["Location"]).path == "/otp/enrol"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Later" not in page and "Để sau" not in page  # the portal requires it: no way round
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    confirmed = client.post(
        "/otp/enrol",
        data={"csrf_token": csrf_token(page), "interaction": interaction_of(page), "code": pyotp.TOTP(secret).now()},
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})</code></li>", confirmed.get_data(as_text=True))
    assert len(set(codes)) == 10
    onward = re.search(r'class="button" href="([^"]+)"', confirmed.get_data(as_text=True)).group(1)
    back = client.get(onward.replace("&amp;", "&"))
    body = exchange(client, portal, query_of(back.headers["Location"])["code"], verifier).get_json()
    claims = verify_like_a_relying_party(client, body["id_token"], algorithms=["RS256"])[1]
    assert claims["acr"] == MFA


def test_a_verified_identity_must_use_a_code(app: Flask, client: FlaskClient, portal: Portal) -> None:
    """IDP_LEVEL2_REQUIRES_OTP (Decree 69/2024): a level-2 citizen without an app sets one up first."""
    citizen = make_citizen(app, full_name="Phạm Thị Lan", birth_date="1979-09-09")
    with session_factory(app)() as session:
        card, _created = bind_card(session, citizen.pin, issued_on=factories.CARD_ISSUED_ON, actor="registrar:test")
        verify_in_person(session, citizen.pin, card_number=card.number, actor="registrar:test")
        session.commit()
    response = password_step(client, citizen)
    assert urlsplit(response.headers["Location"]).path == "/otp/enrol"
    assert "Later" not in client.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert not signed_in(client, portal)


# -- enrolment ---------------------------------------------------------------------------------------


def test_the_enrolment_page_draws_the_qr_code_inline_and_masks_the_pin(
    client: FlaskClient, citizen: Citizen
) -> None:
    assert password_step(client, citizen).status_code == 303  # signed in with the password: no app needed
    html = client.get("/otp/enrol").get_data(as_text=True)
    assert "<svg" in html and "<path" in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # nothing for the CSP to block
    uri = unquote(re.search(r'href="(otpauth://totp/[^"]+)"', html).group(1))
    assert citizen.pin not in uri and citizen.pin[-4:] in uri
    assert uri.startswith("otpauth://totp/Định danh điện tử quốc gia:") and "issuer=" in uri
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    assert len(secret) == 32  # 160 bits


def test_an_enrolment_that_is_not_confirmed_does_not_count(app: Flask, client: FlaskClient, citizen: Citizen) -> None:
    password_step(client, citizen)
    client.get("/otp/enrol")
    with session_factory(app)() as session:
        account = find_account(session, citizen.pin)
        assert not otp.has_factor(session, account.id)


def test_the_seed_is_sealed_at_rest(app: Flask, citizen_with_app: Citizen) -> None:
    with session_factory(app)() as session:
        stored = session.execute(text("SELECT seed_sealed FROM otp_factors")).scalar_one()
    assert citizen_with_app.otp_secret not in stored and stored.startswith("v1.")


def test_after_activation_the_app_can_wait(app: Flask, client: FlaskClient, portal: Portal) -> None:
    with session_factory(app)() as session:
        account, code = factories.opened_account(session, full_name="Đặng Văn Hùng", birth_date="1992-02-02")
        pin = account.person.pin
    html = client.get("/activate").get_data(as_text=True)
    password = "bình minh trên sông hồng"
    form = {"csrf_token": csrf_token(html), "pin": pin, "code": code, "password": password, "confirm": password}
    enrol = client.post("/activate", data=form)
    page = client.get(enrol.headers["Location"]).get_data(as_text=True)
    assert not signed_in(client, portal)
    later = client.post("/otp/later", data={"csrf_token": csrf_token(page), "interaction": ""})
    assert later.status_code == 303
    assert signed_in(client, portal)


def test_the_password_alone_cannot_replace_the_app(app: Flask, portal: Portal, citizen_with_app: Citizen) -> None:
    """Step skipping through enrolment: a sign-in that has given only the password must not set up a new
    app (and so get a two-factor session) in place of the citizen's own."""
    browser = app.test_client()
    password_step(browser, citizen_with_app)
    page = browser.get("/otp/enrol")
    assert page.status_code == 303 and urlsplit(page.headers["Location"]).path == "/login/code"
    attacker_secret = pyotp.random_base32()
    forged = browser.post("/otp/enrol", data={"csrf_token": "", "code": pyotp.TOTP(attacker_secret).now()})
    assert forged.status_code in (303, 400)
    assert not signed_in(browser, portal)
    with session_factory(app)() as session:
        account = find_account(session, citizen_with_app.pin)
        otp.verify_code(
            session, account.id, citizen_with_app.code(), kek=context.settings(app).key_encryption_key_bytes()
        )  # the citizen's own app still works


def with_code(browser: FlaskClient, citizen: Citizen) -> FlaskClient:
    """*browser* signed in with the password and a code from the citizen's app."""
    code_step(browser, password_step(browser, citizen).headers["Location"], citizen.code())
    return browser


def test_a_new_app_in_place_of_the_old_ends_the_other_sessions(
    app: Flask, portal: Portal, citizen_with_app: Citizen, clock: Clock
) -> None:
    """ASVS 7.4.3: the sessions opened with the old app (perhaps on a stolen phone) end."""
    elsewhere = with_code(app.test_client(), citizen_with_app)
    clock.advance(30)  # the app's next code
    here = with_code(app.test_client(), citizen_with_app)
    page = here.get("/otp/enrol?again=1").get_data(as_text=True)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    form = {"csrf_token": csrf_token(page), "interaction": "", "code": pyotp.TOTP(secret).now()}
    assert here.post("/otp/enrol", data=form).status_code == 200
    assert signed_in(here, portal)
    assert not signed_in(elsewhere, portal)


@pytest.mark.parametrize("change", ["suspended", "password reset"])
def test_ending_the_accounts_sessions_ends_its_sign_ins_under_way(
    app: Flask, portal: Portal, citizen_with_app: Citizen, change: str
) -> None:
    """A password given before the account was suspended (or its password reset) opens no session after."""
    browser = app.test_client()
    page = browser.get(password_step(browser, citizen_with_app).headers["Location"]).get_data(as_text=True)
    with session_factory(app)() as session:
        if change == "suspended":
            change_account_state(session, citizen_with_app.pin, "suspend", reason="test", actor="test")
        else:
            end_sessions_of_account(session, find_account(session, citizen_with_app.pin).id, reason="password reset")
        session.commit()
    answer = browser.post("/login/code", data={"csrf_token": csrf_token(page), "code": citizen_with_app.code()})
    assert urlsplit(answer.headers["Location"]).path == "/login"
    assert not signed_in(browser, portal)
