"""The citizens of the browser tests, made through the domain API, and the authenticator app on their phone."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyotp
from flask import Flask

from identity import otp
from identity.authn import find_account
from idp import context
from idp.context import session_factory
from tests import factories


@dataclass
class AuthenticatorApp:
    """The app on the citizen's phone. The provider accepts each 30-second step once and allows one step
    of drift, so a second code within the same step is the next step's, as a real app would show 30 s on."""

    secret: str
    last_step: int = 0

    def code(self) -> str:
        totp = pyotp.TOTP(self.secret)
        self.last_step = max(totp.timecode(time.time()), self.last_step + 1)
        return totp.generate_otp(self.last_step)


def first_timer(app: Flask, **person: str) -> tuple[str, str]:
    """A person whose account a registrar opened: their PIN and the activation code they were given."""
    with session_factory(app)() as session:
        account, code = factories.opened_account(session, **person)
        return account.person.pin, code


def set_up_app(app: Flask, pin: str) -> AuthenticatorApp:
    """The citizen adds an authenticator app to an active account (as from the home page)."""
    settings = context.settings(app)
    kek = settings.key_encryption_key_bytes()
    with session_factory(app)() as session:
        account = find_account(session, pin)
        assert account is not None
        phone = AuthenticatorApp(otp.start_enrolment(session, account, kek=kek, issuer=settings.otp_issuer).secret)
        otp.confirm_enrolment(session, account, phone.code(), kek=kek, actor="test")
        session.commit()
        return phone
