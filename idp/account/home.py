"""The signed-in citizen's home: ``/`` (and ``/account``, the same page). Signed out, the sign-in page.

One page, read top to bottom on a phone: what the register holds, the password and the second factor,
where the citizen is signed in, which portals hold their data, their sign-ins and other events. Each
action is a small POST form of its own (``sessions``, ``portals``, ``password``, ``recovery``,
``logout``) that comes back here with its outcome (``?done=``).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from identity import otp

from .. import context
from ..db import db_session
from ..sso.sessions import live_sessions
from .access import Holder, holder_only
from .activity import history
from .blueprint import bp
from .portals import portal_lines
from .register_facts import register_facts

#: What an action did, shown once on its return here; an unknown value shows nothing.
DONE = {
    "signed_out_there": _l("That browser is signed out, and the portals it signed in to lost their access."),
    "signed_out_elsewhere": _l(
        "Every other browser is signed out, and the portals they signed in to lost their access."
    ),
    "already_ended": _l("That sign-in had already ended; nothing was changed."),
    "access_ended": _l("That portal's access to your data has ended: its tokens no longer work."),
    "no_access": _l("That portal no longer had access to your data; nothing was changed."),
    "password_changed": _l("Your password was changed, and every other browser was signed out."),
}


@bp.route("/")
@holder_only
def home(holder: Holder):  # type: ignore[no-untyped-def]
    session = db_session()
    sign_ins, events = history(session, holder.account)
    return render_template(
        "account.html",
        facts=register_facts(session, holder.account),
        has_app=otp.has_factor(session, holder.account.id),
        recovery_codes_left=otp.recovery_codes_left(session, holder.account.id),
        sessions=live_sessions(session, holder.account.id, context.settings()),
        this_session=holder.sso,
        portals=portal_lines(session, holder.account.id),
        sign_ins=sign_ins,
        events=events,
        notice=DONE.get(request.args.get("done", "")),
    )


@bp.route("/account")
def account():  # type: ignore[no-untyped-def]
    """The same page, under the name a citizen may type or a portal may link to."""
    return redirect(url_for("account.home", **request.args), code=303)
