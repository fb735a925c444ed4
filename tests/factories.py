"""Builders for test data, with overridable defaults, committed as a registrar or client administrator would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy.orm import Session

from clients import Client, ClientSpec, register_client
from identity import (
    PasswordHasher,
    PasswordPolicy,
    PersonFacts,
    activate_account,
    bind_card,
    issue_person,
    open_account,
    person_facts,
)
from identity.models import Account, Person

#: A password the policy accepts, for accounts activated by these builders.
PASSWORD = "mưa rào trên phố cổ"
PASSWORD_POLICY = PasswordPolicy()
#: Issued after the holder's last age milestone, so the card is valid for years (see identity.cards).
CARD_ISSUED_ON = dt.date(2024, 6, 1)
PORTAL_CALLBACK = "https://dichvucong.gov.vn/auth/callback"


def facts(**overrides: Any) -> PersonFacts:
    values: dict[str, Any] = {
        "full_name": "Nguyễn Văn An",
        "birth_date": "1984-03-12",
        "sex": "male",
        "birth_place": "001",
    }
    values.update(overrides)
    return person_facts(**values)


def person(session: Session, *, actor: str = "test", **overrides: Any) -> Person:
    """Issue a person and commit, as a registrar would."""
    created = issue_person(session, facts(**overrides), actor=actor)
    session.commit()
    return created


def opened_account(session: Session, *, with_card: bool = False, **person_fields: Any) -> tuple[Account, str]:
    """A person with a pending account; returns the account and its activation code."""
    pin = person(session, **person_fields).pin
    if with_card:
        bind_card(session, pin, issued_on=CARD_ISSUED_ON, actor="registrar:test")
    account, code = open_account(session, pin, actor="registrar:test", ttl_seconds=3600)
    session.commit()
    return account, code


def active_account(
    session: Session, hasher: PasswordHasher, *, password: str = PASSWORD, **person_fields: Any
) -> Account:
    """A person with an activated account whose password is ``password``."""
    account, code = opened_account(session, **person_fields)
    activate_account(session, account.person.pin, code, password, hasher=hasher, policy=PASSWORD_POLICY)
    session.commit()
    return account


def client_spec(**overrides: Any) -> ClientSpec:
    values: dict[str, Any] = {"name": "Cổng Dịch vụ công Quốc gia", "redirect_uris": [PORTAL_CALLBACK]}
    values.update(overrides)
    return ClientSpec(**values)


def registered_client(
    session: Session, *, actor: str = "test:client-admin", allow_http_loopback: bool = False, **overrides: Any
) -> tuple[Client, str | None]:
    """Register and commit, as the CLI does."""
    client, secret = register_client(
        session, client_spec(**overrides), actor=actor, allow_http_loopback=allow_http_loopback
    )
    session.commit()
    return client, secret


def rsa_key(kid: str = "rp-1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


def ec_key(kid: str = "rp-ec") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)


def public_jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}
