"""Builders for e-ID accounts in tests: opened, or opened and activated, committed like a registrar would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from identity import PasswordHasher, PasswordPolicy, activate_account, bind_card, open_account
from identity.models import Account
from tests import factories

PASSWORD = "mưa rào trên phố cổ"
POLICY = PasswordPolicy()
#: Issued after the holder's last age milestone, so the card is valid for years (see identity.cards).
CARD_ISSUED_ON = dt.date(2024, 6, 1)


def opened(session: Session, *, with_card: bool = False, **person: Any) -> tuple[Account, str]:
    """A person with a pending account; returns the account and its activation code."""
    pin = factories.person(session, **person).pin
    if with_card:
        bind_card(session, pin, issued_on=CARD_ISSUED_ON, actor="registrar:test")
    account, code = open_account(session, pin, actor="registrar:test", ttl_seconds=3600)
    session.commit()
    return account, code


def active(session: Session, hasher: PasswordHasher, *, password: str = PASSWORD, **person: Any) -> Account:
    """A person with an activated account whose password is ``password``."""
    account, code = opened(session, **person)
    activate_account(session, account.person.pin, code, password, hasher=hasher, policy=POLICY)
    session.commit()
    return account
