"""A supervisor's status change and its consequence for sign-in happen in one call (idp.sso.status_changes):
every transition that takes an identity or account out of service ends its sessions and their grants;
a restore revives nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import TRANSITIONS, IllegalTransition
from identity.account_states import ACCOUNT_TRANSITIONS
from identity.authn import find_account
from idp import context
from idp.sso.models import SsoSession
from idp.sso.sessions import start_session
from idp.sso.status_changes import change_account_state, change_identity_status
from tests.idp.conftest import Citizen, make_citizen


def open_session(app: Flask, session: Session, citizen: Citizen) -> SsoSession:
    account = find_account(session, citizen.pin)
    assert account is not None
    settings = context.settings(app)
    row, _cookie = start_session(session, account, amr=("pwd",), acr="urn:vn:eid:acr:pwd", settings=settings)
    session.commit()
    return row


def is_live(session: Session, row: SsoSession) -> bool:
    session.expire_all()
    return session.scalar(select(SsoSession.ended_at).where(SsoSession.id == row.id)) is None


@pytest.mark.parametrize(
    ("change", "transition"),
    [
        (change_identity_status, "suspend"),
        (change_identity_status, "revoke"),
        (change_identity_status, "deceased"),
        (change_account_state, "suspend"),
        (change_account_state, "revoke"),
    ],
    ids=["identity suspended", "identity revoked", "person deceased", "account suspended", "account revoked"],
)
def test_taking_someone_out_of_service_ends_their_sessions(
    app: Flask, session: Session, change: Callable[..., object], transition: str
) -> None:
    citizen = make_citizen(app)
    row = open_session(app, session, citizen)
    change(session, citizen.pin, transition, reason="test", actor="supervisor:test")
    session.commit()
    assert not is_live(session, row)


def test_a_restore_revives_no_session_and_starts_none(app: Flask, session: Session) -> None:
    citizen = make_citizen(app)
    row = open_session(app, session, citizen)
    change_account_state(session, citizen.pin, "suspend", reason="test", actor="supervisor:test")
    change_account_state(session, citizen.pin, "restore", reason="test", actor="supervisor:test")
    session.commit()
    assert not is_live(session, row)
    assert session.scalar(select(SsoSession.id).where(SsoSession.ended_at.is_(None))) is None


def test_a_refused_change_ends_nothing(app: Flask, session: Session) -> None:
    citizen = make_citizen(app)
    row = open_session(app, session, citizen)
    with pytest.raises(IllegalTransition):
        change_account_state(session, citizen.pin, "restore", reason="test", actor="supervisor:test")
    session.rollback()
    assert is_live(session, row)


def test_only_the_changes_that_take_someone_out_of_service_end_sessions() -> None:
    """The tables say it once; a restore or an activation must never end anybody's session."""
    assert {name for name, rule in TRANSITIONS.items() if rule.ends_sessions} == {"suspend", "revoke", "deceased"}
    assert {name for name, rule in ACCOUNT_TRANSITIONS.items() if rule.ends_sessions} == {"suspend", "revoke"}
