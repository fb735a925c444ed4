"""UserInfo's one statement says exactly what the register's own rules say: who may sign in, which values."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from identity import bind_card
from identity.authn import can_sign_in
from identity.claims import person_claim_values
from identity.models import Account, AccountStatus, Person
from identity.vocabulary import PersonStatus
from idp.context import session_factory
from idp.sso.account_facts import USABLE_ACCOUNT
from tests.idp.conftest import Citizen, make_citizen, register_portal
from tests.idp.flows import tokens, userinfo


def test_the_usable_account_condition_is_can_sign_in_for_every_status(app: Flask, citizen: Citizen) -> None:
    with session_factory(app)() as session:
        account = session.scalars(select(Account).join(Person).where(Person.pin == citizen.pin)).one()
        password = account.password_hash
        for account_status, person_status, has_password in itertools.product(
            AccountStatus, PersonStatus, (True, False)
        ):
            account.status, account.person.status = account_status, person_status
            account.password_hash = password if has_password else None
            session.flush()
            in_sql = session.scalar(
                select(USABLE_ACCOUNT).select_from(Account).join(Person).where(Account.id == account.id)
            )
            assert bool(in_sql) is can_sign_in(account), (account_status, person_status, has_password)
        session.rollback()


@pytest.mark.parametrize("with_card", [False, True])
def test_userinfo_releases_the_registers_own_claim_values(app: Flask, client: FlaskClient, with_card: bool) -> None:
    scopes = ["openid", "profile", "address", "pin", "citizen_card"]
    portal = register_portal(app, first_party=True, scopes=scopes, approve_restricted=True)
    citizen = make_citizen(app, full_name="Lê Thị Hồng Nhung", birth_date="1990-04-05", residence="Số 1 Tràng Tiền")
    with session_factory(app)() as session:
        if with_card:
            bind_card(session, citizen.pin, issued_on=dt.date(2021, 6, 1), actor="registrar:test")
            session.commit()
        person = session.scalars(select(Person).where(Person.pin == citizen.pin)).one()
        expected = person_claim_values(session, person)
    body = tokens(client, portal, citizen, scope=" ".join(scopes))
    released = userinfo(client, body["access_token"]).get_json()
    del released["sub"]
    assert released == expected
    assert ("citizen_card" in released) is with_card
