"""Who is on an account page: the citizen of this browser's SSO session, and nobody else.

Never a sign-in under way (``idp.interaction.sign_in.signing`` would return one): a password typed on
this browser for another account, its code still to come, must not open that account's pages. A
browser without a live session (signed out, or its session ended from another browser) is sent to the
sign-in page, whatever it asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, redirect, request, url_for

from identity.models import Account
from identity.types import utcnow

from ..browser import current_sso_session
from ..db import db_session
from ..interaction.sign_in import RECENT_SIGN_IN
from ..sso.models import SsoSession


@dataclass(frozen=True, slots=True)
class Holder:
    """The signed-in citizen and the session of this browser."""

    sso: SsoSession
    account: Account

    @property
    def recent(self) -> bool:
        """The password was given in the last few minutes: a sensitive step need not ask for it again."""
        return utcnow() - self.sso.auth_time < RECENT_SIGN_IN

    @property
    def actor(self) -> str:
        return f"account:{self.account.id}"


def holder() -> Holder | None:
    sso = current_sso_session()
    if sso is None:
        return None
    account = db_session().get(Account, sso.account_id)
    assert account is not None
    return Holder(sso, account)


def holder_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page of the signed-in citizen, who is passed to the view; everyone else gets the sign-in page."""

    @wraps(view)
    def page(*args: Any, **kwargs: Any) -> Any:
        found = holder()
        if found is None:
            return to_sign_in()
        return view(found, *args, **kwargs)

    return page


def to_sign_in() -> Response:
    """The sign-in page, keeping a portal's request under way (``interaction``) and the chosen language."""
    keep = {name: request.args[name] for name in ("interaction", "lang") if request.args.get(name)}
    return redirect(url_for("interaction.login", **keep), code=303)


def back_home(done: str | None = None) -> Response:
    """303 to the account page after a form (never 307: the POST must not be repeated), with its outcome."""
    return redirect(url_for("account.home", done=done), code=303)
