"""Refresh tokens: rotation on every use, family revocation on reuse (at once by default, or after an
optional grace window for parallel refreshes), client binding, scope binding, idle and absolute expiry,
and the identity behind them (RFC 9700 §4.14, R14-R17; ASVS 10.4.5, 10.4.8; SECURITY.md §6.4,
decision 3, V7, V14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from identity.models import Account
from idp import context, create_app
from idp.context import session_factory
from idp.sso.models import Grant, RefreshToken
from idp.sso.opaque import digest
from tests.conftest import make_settings
from tests.idp.conftest import Citizen, Clock, Portal, register_portal
from tests.idp.flows import (
    at_once,
    change_account,
    change_identity,
    introspect,
    refresh,
    revoke,
    suspend_portal,
    tokens,
    unverified_parts,
    userinfo,
)

GRACE = 5


@pytest.fixture
def graced(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The service as deployed for portals that refresh in parallel: IDP_REFRESH_REUSE_GRACE=5, on the
    suite's migrated database (so the suite's portal and citizen are its own)."""
    application = create_app(make_settings(database_url, tmp_path, refresh_reuse_grace=GRACE))
    yield application
    context.engine(application).dispose()


def refreshed(client: FlaskClient, portal: Portal, token: str, **extra: str) -> dict[str, Any]:
    response = refresh(client, portal, token, **extra)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def refused(client: FlaskClient, portal: Portal, token: str, error: str = "invalid_grant", **extra: str) -> None:
    response = refresh(client, portal, token, **extra)
    assert response.status_code in (400, 401), response.get_json()
    assert response.get_json()["error"] == error
    assert "access_token" not in response.get_json()


def test_every_refresh_rotates_the_refresh_token(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    first = tokens(client, portal, citizen)
    second = refreshed(client, portal, first["refresh_token"])
    third = refreshed(client, portal, second["refresh_token"])
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert second["access_token"] != first["access_token"]
    assert userinfo(client, third["access_token"]).status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_family(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    first = tokens(client, portal, citizen)
    second = refreshed(client, portal, first["refresh_token"])
    third = refreshed(client, portal, second["refresh_token"])
    clock.advance(settings.refresh_reuse_grace + 1)

    refused(client, portal, first["refresh_token"])  # the thief, or the portal, replays an old token

    refused(client, portal, third["refresh_token"])  # the newest token of the family died with it
    for body in (first, second, third):
        assert userinfo(client, body["access_token"]).status_code == 401
        assert introspect(client, portal, body["access_token"]) == {"active": False}
    assert introspect(client, portal, third["refresh_token"]) == {"active": False}


def test_by_default_a_second_refresh_of_the_same_token_revokes_the_family_at_once(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """No grace by default: a rotated-out token presented again, even within a second, is reuse."""
    first = tokens(client, portal, citizen)
    child = refreshed(client, portal, first["refresh_token"])
    refused(client, portal, first["refresh_token"])
    refused(client, portal, child["refresh_token"])
    assert userinfo(client, child["access_token"]).status_code == 401


def test_by_default_a_replay_is_reuse_even_where_the_clock_is_behind(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    """Our processes' clocks may disagree by a little: a replay that seems to come before the rotation
    (or a parallel request that read the clock first and lost the race) is reuse all the same."""
    first = tokens(client, portal, citizen)
    child = refreshed(client, portal, first["refresh_token"])
    clock.advance(-1)
    refused(client, portal, first["refresh_token"])
    refused(client, portal, child["refresh_token"])


def test_by_default_parallel_refreshes_of_one_token_revoke_the_family(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    first = tokens(client, portal, citizen)
    answers = at_once([lambda: refresh(app.test_client(), portal, first["refresh_token"]) for _ in range(4)])
    assert sorted(answer.status_code for answer in answers) == [200, 400, 400, 400], [a.get_json() for a in answers]
    winner = next(answer.get_json() for answer in answers if answer.status_code == 200)
    refused(client, portal, winner["refresh_token"])
    assert userinfo(client, winner["access_token"]).status_code == 401


def test_parallel_refreshes_within_the_grace_window_share_one_child(
    graced: Flask, portal: Portal, citizen: Citizen
) -> None:
    """Portals refresh from several threads: with a grace window, the same parent twice, at once, is not theft."""
    client = graced.test_client()
    first = tokens(client, portal, citizen)
    a = refreshed(client, portal, first["refresh_token"])
    b = refreshed(client, portal, first["refresh_token"])
    assert a["refresh_token"] == b["refresh_token"]
    assert userinfo(client, a["access_token"]).status_code == 200
    assert userinfo(client, b["access_token"]).status_code == 200
    c = refreshed(client, portal, a["refresh_token"])  # the shared child still works, and rotates
    assert userinfo(client, c["access_token"]).status_code == 200


def test_a_refresh_after_the_grace_window_is_reuse(
    graced: Flask, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    client = graced.test_client()
    first = tokens(client, portal, citizen)
    child = refreshed(client, portal, first["refresh_token"])
    clock.advance(GRACE + 1)
    refused(client, portal, first["refresh_token"])
    refused(client, portal, child["refresh_token"])


def test_the_grace_window_does_not_revive_a_revoked_family(graced: Flask, portal: Portal, citizen: Citizen) -> None:
    client = graced.test_client()
    first = tokens(client, portal, citizen)
    refreshed(client, portal, first["refresh_token"])
    revoke(client, portal, first["refresh_token"])
    refused(client, portal, first["refresh_token"])


def test_a_refresh_token_works_only_for_its_own_portal(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """RFC 6749 §6 / R15. Presented by another client, the family is presumed stolen and revoked."""
    other = register_portal(app, name="Cổng khác", first_party=True)
    first = tokens(client, portal, citizen)
    refused(client, other, first["refresh_token"])
    refused(client, portal, first["refresh_token"])
    assert userinfo(client, first["access_token"]).status_code == 401


def test_a_refresh_without_client_authentication_is_refused(
    client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    first = tokens(client, portal, citizen)
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": portal.client_id}
    response = client.post("/token", data=data)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert refresh(client, portal, first["refresh_token"]).status_code == 200


def test_a_refresh_may_narrow_the_scope(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    first = tokens(client, portal, citizen, scope="openid profile")
    narrowed = refreshed(client, portal, first["refresh_token"], scope="openid")
    assert narrowed["scope"] == "openid"
    assert "name" not in userinfo(client, narrowed["access_token"]).get_json()


def test_a_refresh_cannot_widen_the_scope_and_the_refusal_costs_the_portal_nothing(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    """R15: bound to the consented scope. A refused widening must not burn the token: a portal retrying
    with the right scope a little later would otherwise be treated as a thief and lose the family."""
    first = tokens(client, portal, citizen, scope="openid")
    refused(client, portal, first["refresh_token"], error="invalid_scope", scope="openid profile address")
    clock.advance(settings.refresh_reuse_grace + 1)
    again = refreshed(client, portal, first["refresh_token"])
    assert again["scope"] == "openid"


def test_a_refresh_token_expires_when_unused(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    first = tokens(client, portal, citizen)
    clock.advance(settings.refresh_token_idle_ttl + 1)
    refused(client, portal, first["refresh_token"])


def test_a_family_ends_at_its_absolute_lifetime_even_when_used(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    """ASVS 10.4.8: an absolute expiry, even though each use slides the idle one."""
    token = tokens(client, portal, citizen)["refresh_token"]
    step = settings.refresh_token_idle_ttl // 2
    elapsed = 0
    while elapsed + step < settings.refresh_token_absolute_ttl:
        clock.advance(step)
        elapsed += step
        token = refreshed(client, portal, token)["refresh_token"]
    clock.advance(settings.refresh_token_absolute_ttl - elapsed + 1)
    refused(client, portal, token)


def test_a_family_opened_late_in_a_session_still_ends_at_the_absolute_lifetime_after_sign_in(
    client: FlaskClient, portal: Portal, citizen: Citizen, settings, clock: Clock
) -> None:
    """Decision 3, NIST 800-63B §4.2.3: the absolute limit counts from the sign-in, not from the exchange."""
    first = tokens(client, portal, citizen)
    step = settings.sso_session_idle_ttl // 2
    elapsed = 0
    while elapsed + step <= settings.refresh_token_absolute_ttl - 3600:
        clock.advance(step)
        elapsed += step
        late = tokens(client, portal, None)  # single sign-on: the session is kept alive, no new sign-in
    assert unverified_parts(late["id_token"])[1]["auth_time"] == unverified_parts(first["id_token"])[1]["auth_time"]
    token = refreshed(client, portal, late["refresh_token"])["refresh_token"]
    clock.advance(settings.refresh_token_absolute_ttl - elapsed + 1)
    refused(client, portal, token)


def test_the_refreshed_id_token_keeps_the_real_authentication_event(
    client: FlaskClient, portal: Portal, citizen: Citizen, clock: Clock
) -> None:
    first = tokens(client, portal, citizen)
    clock.advance(120)
    second = refreshed(client, portal, first["refresh_token"])
    _, before = unverified_parts(first["id_token"])
    _, after = unverified_parts(second["id_token"])
    assert after["sub"] == before["sub"]
    assert after["auth_time"] == before["auth_time"]
    assert after["iat"] > before["iat"]
    assert after["acr"] == before["acr"]
    assert after["sid"] == before["sid"]


def test_a_suspended_portal_can_no_longer_refresh(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    first = tokens(client, portal, citizen)
    suspend_portal(app, portal)
    response = refresh(client, portal, first["refresh_token"])
    assert response.get_json()["error"] == "invalid_client"
    assert "access_token" not in response.get_json()


@pytest.mark.parametrize(
    ("target", "transition"),
    [("account", "suspend"), ("account", "revoke"), ("person", "suspend"), ("person", "revoke")],
)
def test_a_suspended_or_revoked_identity_can_no_longer_be_refreshed(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen, target: str, transition: str
) -> None:
    """SECURITY.md V4 and ASVS 8.3.2: every token-issuing path checks the identity now."""
    first = tokens(client, portal, citizen)
    (change_account if target == "account" else change_identity)(app, citizen, transition)
    refused(client, portal, first["refresh_token"])
    assert userinfo(client, first["access_token"]).status_code == 401


def test_restoring_an_account_does_not_revive_its_old_refresh_tokens(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    first = tokens(client, portal, citizen)
    change_account(app, citizen, "suspend")
    refused(client, portal, first["refresh_token"])
    change_account(app, citizen, "restore")
    refused(client, portal, first["refresh_token"])


def test_an_account_that_cannot_sign_in_gets_no_child_and_loses_its_family(
    app: Flask, client: FlaskClient, portal: Portal, citizen: Citizen
) -> None:
    """Every token-issuing path checks the identity itself (V4), not only the revocations its lifecycle
    made: an account without a password (changed behind the lifecycle's back) is refused at refresh,
    its family revoked, and no child token stored."""
    first = tokens(client, portal, citizen)
    with session_factory(app)() as session:
        session.execute(
            update(Account)
            .where(Account.person_id == citizen.person_id)
            .values(password_hash=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    refused(client, portal, first["refresh_token"])
    with session_factory(app)() as session:
        parent = session.scalars(
            select(RefreshToken).where(RefreshToken.token_hash == digest(first["refresh_token"]))
        ).one()
        assert session.scalars(select(RefreshToken).where(RefreshToken.parent_id == parent.id)).all() == []
        assert session.get(Grant, parent.grant_id).revoke_reason == "account no longer active"  # type: ignore[union-attr]


def test_a_public_client_rotates_too(app: Flask, client: FlaskClient, citizen: Citizen, settings, clock: Clock) -> None:
    """R14: public clients MUST get replay detection; here by rotation."""
    public = register_portal(app, name="Ứng dụng di động", first_party=True, token_endpoint_auth_method="none")
    first = tokens(client, public, citizen)
    second = refreshed(client, public, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    clock.advance(settings.refresh_reuse_grace + 1)
    refused(client, public, first["refresh_token"])
    refused(client, public, second["refresh_token"])


def test_a_forged_or_unknown_refresh_token_is_refused(client: FlaskClient, portal: Portal, citizen: Citizen) -> None:
    first = tokens(client, portal, citizen)
    refused(client, portal, first["refresh_token"][:-2] + "AA")
    refused(client, portal, first["access_token"])
    assert refresh(client, portal, first["refresh_token"]).status_code == 200


def test_a_refresh_request_without_a_token_is_invalid_request(client: FlaskClient, portal: Portal) -> None:
    response = client.post("/token", data={"grant_type": "refresh_token"}, headers=portal.basic_auth())
    assert response.get_json()["error"] == "invalid_request"


def test_within_the_grace_window_a_token_presented_many_times_at_once_yields_one_child_and_no_revocation(
    graced: Flask, portal: Portal, citizen: Citizen
) -> None:
    """V14: check and rotate are one atomic step; parallel workers of one portal all get the same child."""
    client = graced.test_client()
    first = tokens(client, portal, citizen)
    answers = at_once([lambda: refresh(graced.test_client(), portal, first["refresh_token"]) for _ in range(6)])
    assert [answer.status_code for answer in answers] == [200] * 6, [a.get_json() for a in answers]
    children = {answer.get_json()["refresh_token"] for answer in answers}
    assert len(children) == 1
    assert refreshed(client, portal, children.pop())["refresh_token"]
