"""Signing out elsewhere: one other session of the citizen, or every other one.

Ending a session revokes the portals' grants made under it at once (``idp.sso.sessions.end_session``):
their refresh tokens are refused, their access tokens fail at userinfo and introspection. The session
to end is matched against the citizen's own live sessions before anything is written, so another
citizen's ``sid``, a made-up one or this browser's own changes nothing (this browser signs out at
``/logout``, with its confirmation).
"""

from __future__ import annotations

from .. import context
from ..db import db_session
from ..sso.sessions import end_sessions_of_account, live_sessions
from .access import Holder, back_home, holder_only
from .blueprint import bp
from .forms import SessionForm


@bp.route("/account/sessions/end", methods=["POST"])
@holder_only
def end_one(holder: Holder):  # type: ignore[no-untyped-def]
    form = SessionForm()
    session = db_session()
    live = live_sessions(session, holder.account.id, context.settings())
    others = {row.sid for row in live if row.id != holder.sso.id}
    if not form.validate_on_submit() or form.sid.data not in others:
        return back_home("already_ended")
    reason = "signed out from the account page"
    end_sessions_of_account(session, holder.account.id, reason=reason, sid=form.sid.data, keep=holder.sso)
    return back_home("signed_out_there")


@bp.route("/account/sessions/end-others", methods=["POST"])
@holder_only
def end_others(holder: Holder):  # type: ignore[no-untyped-def]
    end_sessions_of_account(db_session(), holder.account.id, reason="signed out everywhere else", keep=holder.sso)
    return back_home("signed_out_elsewhere")
