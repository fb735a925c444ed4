"""Sign-in, first step: PIN and password.

The same message and status answer an unknown PIN, a wrong password, an account that must wait after
failed attempts or is locked, and an identity not in service, each after one argon2 verification
(ASVS 6.3.8, ``identity.authn``); a PIN typed with other than the digits 0-9 gets its precise message,
which says nothing about the register. Every attempt is recorded, and counted against the account.
"""

from __future__ import annotations

import logging

from flask import render_template, request
from flask_babel import gettext as _

from identity import CredentialRejected, InvalidPin
from identity.authn import authenticate_password
from identity.sign_in_log import Step
from identity.throttle import ThrottlePolicy

from .. import context
from ..db import standing_session
from ..oidc import interactions
from .blueprint import bp
from .forms import LoginForm
from .messages import for_citizen
from .sign_in import after_password, record

#: ASVS 16.3.1: every refused sign-in is logged (never the password; the PIN without its serial).
security_log = logging.getLogger("idp.security")


def throttle_policy() -> ThrottlePolicy:
    settings = context.settings()
    return ThrottlePolicy(free_failures=settings.free_failures, lock_after=settings.lock_after_failures)


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    interaction = interactions.load(request.values.get("interaction"))
    if request.method != "POST":
        form.interaction.data = interaction.id if interaction else ""
        if interaction and (hint := interaction.params.get("login_hint")):
            form.pin.data = hint
        return _page(form, interaction, None)
    if not form.validate_on_submit():
        return _page(form, interaction, _("Please fill in both fields.")), 400
    session = standing_session()  # a failure counts against the account, and is recorded, whatever follows
    try:
        account = authenticate_password(
            session, form.pin.data, form.password.data, hasher=context.hasher(), throttle=throttle_policy()
        )
    except InvalidPin as error:
        return _page(form, interaction, for_citizen(error)), 400
    except CredentialRejected as refusal:
        record(Step.PASSWORD, refusal.account_id, refusal.reason, interaction)
        # %r: whatever was typed is quoted and escaped, so it cannot forge a log line.
        security_log.warning(
            "sign-in refused (%s): PIN %r, from %s", refusal.reason, form.pin.data[:6] + "******", request.remote_addr
        )
        return _page(form, interaction, _("The personal identification number or the password is not correct.")), 401
    record(Step.PASSWORD, account.id, None, interaction)
    return after_password(account, interaction)


def _page(form: LoginForm, interaction: interactions.Interaction | None, error: str | None) -> str:
    portal = interactions.portal_name(interaction)
    return render_template("login.html", form=form, error=error, portal=portal, interaction=interaction)
