"""Signing out of the provider on this browser: a page that asks, and a POST that does it.

A plain page and a button (SECURITY.md: the OP confirms logout, ASVS 10.6.2), so no link or image on
another site can sign the citizen out. The POST ends this browser's session, which revokes the grants
of the portals signed in from it, clears the cookies and lands on the sign-in page.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..browser import clear_pending_cookie, clear_session_cookie
from ..db import db_session
from ..sso.sessions import end_session
from .access import Holder, holder_only
from .blueprint import bp


@bp.route("/logout", methods=["GET", "POST"])
@holder_only
def logout(holder: Holder):  # type: ignore[no-untyped-def]
    if request.method != "POST":
        return render_template("account_logout.html")
    end_session(db_session(), holder.sso, reason="signed out")
    response = redirect(url_for("interaction.login"), code=303)
    clear_session_cookie(response)
    clear_pending_cookie(response)
    return response
