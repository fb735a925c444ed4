"""Changing the password: the current one, then the new one twice (ASVS 6.2.2, 6.2.3).

The current password is checked as at sign-in (``identity.accounts.change_password``): a wrong one counts
against the account and is recorded (``confirm.refused``). The new one meets the same policy as at
activation, with the page's own sentences (``idp.interaction.messages``). On success every other session
of the citizen ends, and the portals' tokens under them (ASVS 7.4.3): whoever knew the old password is
signed out everywhere; this browser stays signed in.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from identity import CredentialRejected, IdentityError, change_password

from .. import context
from ..db import standing_session
from ..interaction.login import throttle_policy
from ..interaction.messages import for_citizen
from ..sso.sessions import end_sessions_of_account
from .access import Holder, back_home, holder_only
from .blueprint import bp
from .confirm import refused
from .forms import PasswordForm


@bp.route("/account/password", methods=["GET", "POST"])
@holder_only
def change(holder: Holder):  # type: ignore[no-untyped-def]
    form = PasswordForm()

    def page(error: str | None = None, invalid: set[str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
        return render_template("account_password.html", form=form, error=error, invalid=invalid or set()), status

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        missing = {name for name, field in form._fields.items() if field.errors}
        return page(_("Please fill in every field."), missing, 400)
    if form.new.data != form.repeat.data:
        return page(_("The two passwords are not the same."), {"new", "repeat"}, 400)
    policy = context.password_policy()
    session = standing_session()  # a wrong current password is counted and recorded, whatever follows
    try:
        change_password(
            session,
            holder.account.person.pin,
            form.current.data,
            form.new.data,
            hasher=context.hasher(),
            policy=policy,
            throttle=throttle_policy(),
        )
    except CredentialRejected as refusal:
        return page(refused(refusal), {"current"}, 401)
    except IdentityError as error:
        return page(for_citizen(error, min_password_length=policy.min_length), {"new", "repeat"}, 400)
    end_sessions_of_account(session, holder.account.id, reason="password changed", keep=holder.sso)
    return back_home("password_changed")
