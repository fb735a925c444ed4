"""The steps of a sign-in, shared by its pages: who is signing in, what comes next, and how it ends.

After the password comes the one-time code when the account has an app, when its identity level
requires one (``IDP_LEVEL2_REQUIRES_OTP``), or when the portal's request asks for an ``acr`` a code
reaches; until the last step the sign-in is a row on the server (``idp.sso.pending``) behind a cookie of
this browser, and there is no SSO session. A signed-in citizen whom a portal asks for more (step-up)
gives only the missing code. Every sign-in ends in ``finish``: a new SSO session with a new identifier,
then back to the portal's request or to the home page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Response, redirect, request, url_for

from identity import otp
from identity.models import Account
from identity.sign_in_log import Reason, Step, record_attempt
from identity.types import utcnow

from .. import context
from ..browser import clear_pending_cookie, current_sso_session, pending_sign_in, set_pending_cookie, set_session_cookie
from ..db import db_session, standing_session
from ..oidc import interactions
from ..sso import acr, pending
from ..sso.models import PendingSignIn
from ..sso.sessions import end_sessions_of_account, replace_session

#: What a sign-in with a password and a one-time code used (RFC 8176).
WITH_CODE = ("pwd", "otp", "mfa")
#: A session younger than this may enrol a new app without typing the password again.
RECENT_SIGN_IN = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Signing:
    """Who is signing in on this browser, and with what so far."""

    account: Account
    amr: tuple[str, ...]
    #: The sign-in under way (a password just accepted); None for a signed-in citizen stepping up.
    pending: PendingSignIn | None
    #: The password was given within the last few minutes.
    recent: bool


def signing() -> Signing | None:
    """A sign-in under way on this browser, or else its signed-in citizen; None when neither."""
    session = db_session()
    row = pending_sign_in()
    if row is not None:
        account = session.get(Account, row.account_id)
        assert account is not None
        return Signing(account, tuple(row.amr.split()), row, recent=True)
    sso = current_sso_session()
    if sso is None:
        return None
    account = session.get(Account, sso.account_id)
    assert account is not None
    return Signing(account, tuple(sso.amr.split()), None, recent=utcnow() - sso.auth_time < RECENT_SIGN_IN)


def with_code(amr: Iterable[str]) -> tuple[str, ...]:
    """The methods of a sign-in once a one-time code is added to those already passed."""
    return tuple(dict.fromkeys((*amr, *WITH_CODE)))


def code_required(account: Account, interaction: interactions.Interaction | None) -> bool:
    """Whether a sign-in of this account, for this portal request, needs the one-time code."""
    if otp.has_factor(db_session(), account.id):
        return True
    if account.identity_level == 2 and context.settings().level2_requires_otp:
        return True
    wanted = interactions.wanted_acr(interaction) if interaction else []
    return acr.shortfall(("pwd",), account.identity_level, wanted) == "otp"


def after_password(account: Account, interaction: interactions.Interaction | None) -> Response:
    """The password is right: the code step when one is needed (its app enrolled first if there is none),
    else the end of the sign-in."""
    if not code_required(account, interaction):
        return finish(account, ("pwd",), interaction)
    step = "interaction.code" if otp.has_factor(db_session(), account.id) else "interaction.enrol"
    return begin_second_step(account, interaction, step=step)


def begin_second_step(
    account: Account, interaction: interactions.Interaction | None, *, step: str, **args: str
) -> Response:
    """Keep the sign-in under way on the server (the password is accepted) and go to *step*."""
    key = pending.begin(db_session(), account.id, amr=("pwd",))
    response = redirect(url_for(step, interaction=interaction.id if interaction else None, **args), code=303)
    set_pending_cookie(response, key)
    return response


def finish(
    account: Account,
    amr: Iterable[str],
    interaction: interactions.Interaction | None,
    *,
    then: str | None = None,
    response: Response | None = None,
    end_others: str | None = None,
) -> Response:
    """End the sign-in: consume the row under way, start a new SSO session (the browser's previous one
    ends), and go on to *then*, the portal's request or the home page (or answer with *response*). With
    *end_others* (a reason), every other session of the account ends too (a factor was replaced)."""
    row = pending_sign_in()
    if row is not None and not pending.complete(db_session(), row):
        return redirect(url_for("interaction.login", interaction=interaction.id if interaction else None), code=303)
    methods = tuple(amr)
    sso, cookie = replace_session(
        db_session(),
        current_sso_session(),
        account,
        amr=methods,
        acr=acr.achieved(methods, account.identity_level).value,
        settings=context.settings(),
    )
    if end_others:
        end_sessions_of_account(db_session(), account.id, reason=end_others, keep=sso)
    if interaction is not None:
        interactions.mark_logged_in(interaction.id)
    if response is None:
        response = redirect(then or continue_url(interaction), code=303)  # RFC 9700 §4.12: never 307
    set_session_cookie(response, cookie)
    clear_pending_cookie(response)
    return response


def continue_url(interaction: interactions.Interaction | None) -> str:
    """Where a finished step leads: back into the portal's request, or the citizen's home (account) page."""
    if interaction is None:
        return url_for("account.home")
    return url_for("authorize.resume", interaction=interaction.id)


def record(step: Step, account_id: int | None, reason: Reason | str | None, interaction: object) -> None:
    """One sign-in attempt for the account page and the auditors; it stands even when the answer refuses."""
    client_id = interaction.params.get("client_id") if isinstance(interaction, interactions.Interaction) else None
    record_attempt(
        standing_session(),
        account_id=account_id,
        step=step,
        reason=Reason(reason) if reason else None,
        client_id=client_id,
        address=request.remote_addr,
    )
