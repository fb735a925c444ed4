"""Sign-in, second step: the one-time code from the citizen's app, or one of their recovery codes.

Reached after the password (a sign-in under way) or by a signed-in citizen whom a portal asks for more
(step-up: only this step, not the password again). Wrong codes count against the account's code
counter, apart from the password's (``identity.throttle``); a code is accepted once (``identity.otp``).
A recovery code means the app is gone: the citizen is asked to set up an app again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from identity import otp
from identity.sign_in_log import Reason, Step
from identity.throttle import Factor, Verdict, record_failure, record_success, verdict

from .. import context
from ..db import standing_session
from ..oidc import interactions
from .blueprint import bp
from .forms import CodeForm, RecoveryForm
from .login import throttle_policy
from .sign_in import Signing, finish, record, signing, with_code

_WAIT = _l("Too many wrong codes. Wait a little, then type the code your app shows.")
_WRONG = _l("This code is not right. Type the code your app shows now.")
_LOCKED = _l(
    "Too many wrong codes: one-time codes are blocked for this account. A supervisor can lift the block after "
    "checking who you are; see a registrar with your citizen identity card."
)


@bp.route("/login/code", methods=["GET", "POST"])
def code():  # type: ignore[no-untyped-def]
    def check(who: Signing, typed: str) -> None:
        otp.verify_code(standing_session(), who.account.id, typed, kek=context.settings().key_encryption_key_bytes())

    return _step(CodeForm(), "code.html", Step.OTP, check, then=None)


@bp.route("/login/recovery", methods=["GET", "POST"])
def recovery():  # type: ignore[no-untyped-def]
    def check(who: Signing, typed: str) -> None:
        otp.use_recovery_code(standing_session(), who.account.id, typed)

    interaction = interactions.load(request.values.get("interaction"))
    enrol_again = url_for("interaction.enrol", interaction=interaction.id if interaction else None, again=1)
    return _step(RecoveryForm(), "recovery.html", Step.RECOVERY_CODE, check, then=enrol_again)


def _step(  # type: ignore[no-untyped-def]
    form: CodeForm | RecoveryForm, template: str, step: Step, check: Callable[[Signing, str], None], *, then: str | None
):
    interaction = interactions.load(request.values.get("interaction"))
    interaction_id = interaction.id if interaction else None
    who = signing()
    if who is None:
        return redirect(url_for("interaction.login", interaction=interaction_id), code=303)
    if not otp.has_factor(standing_session(), who.account.id):
        return redirect(url_for("interaction.enrol", interaction=interaction_id), code=303)

    def page(error: str | None, status: int = 200):  # type: ignore[no-untyped-def]
        form.interaction.data = interaction_id or ""
        portal = interactions.portal_name(interaction)
        return render_template(template, form=form, error=error, portal=portal, interaction=interaction), status

    if request.method != "POST":
        return page(None)
    if not form.validate_on_submit():
        return page(_("Type the code."), 400)
    refusal = _refusal(who, step, check, form.code.data.strip(), interaction)
    if refusal is not None:
        return page(*refusal)
    record_success(standing_session(), who.account.id, Factor.OTP)
    record(step, who.account.id, None, interaction)
    return finish(who.account, with_code(who.amr), interaction, then=then)


def _refusal(
    who: Signing, step: Step, check: Callable[[Signing, str], None], typed: str, interaction: object
) -> tuple[str, int] | None:
    """Why *typed* is refused (message, status), counting and recording the failure; None when it passes."""
    session = standing_session()
    state = verdict(session, who.account.id, Factor.OTP)
    if state is not Verdict.OPEN:
        record(step, who.account.id, Reason.LOCKED if state is Verdict.LOCKED else Reason.THROTTLED, interaction)
        return (str(_LOCKED), 403) if state is Verdict.LOCKED else (str(_WAIT), 429)
    try:
        check(who, typed)
    except otp.WrongCode:
        after = record_failure(session, who.account.id, Factor.OTP, throttle_policy())
        record(step, who.account.id, Reason.WRONG_SECRET, interaction)
        return str(_LOCKED if after is Verdict.LOCKED else _WRONG), 400
    return None
