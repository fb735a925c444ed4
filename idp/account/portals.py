"""The portals that hold the citizen's data (``idp.sso.portals``), and ending the access of one.

Third-party portals are listed by their standing consent; first-party portals, which never ask, while
they hold tokens for the citizen: a citizen expects to see every portal that can read their data now,
and to be able to cut it off, whoever registered it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from clients import SUPPORTED_SCOPES, client_names

from ..db import db_session
from ..interaction.scope_text import describe_scopes
from ..sso.portals import end_access, portals_of
from .access import Holder, back_home, holder_only
from .activity import portal_name
from .blueprint import bp
from .forms import PortalForm


@dataclass(frozen=True, slots=True)
class PortalLine:
    client_id: str
    name: str
    #: A third-party portal with the citizen's consent; False for a first-party portal with live tokens.
    consented: bool
    since: dt.datetime
    #: What it may receive, in plain words.
    claims: list[str]


def portal_lines(session: Session, account_id: int) -> list[PortalLine]:
    found = portals_of(session, account_id)
    names = client_names(session, [portal.client_id for portal in found])
    return [
        PortalLine(p.client_id, portal_name(p.client_id, names), p.consented, p.since, _claims(p.scopes)) for p in found
    ]


def _claims(scopes: tuple[str, ...]) -> list[str]:
    """In the order scopes are always shown (``clients.SUPPORTED_SCOPES``)."""
    last = len(SUPPORTED_SCOPES)
    ordered = sorted(scopes, key=lambda scope: SUPPORTED_SCOPES.index(scope) if scope in SUPPORTED_SCOPES else last)
    return [text for _scope, text in describe_scopes(ordered)]


@bp.route("/account/portals/end", methods=["POST"])
@holder_only
def end_portal(holder: Holder):  # type: ignore[no-untyped-def]
    """Withdraw the consent (third party) or revoke the tokens (first party) of one of the citizen's portals."""
    form = PortalForm()
    if not form.validate_on_submit() or not end_access(db_session(), holder.account.id, form.client_id.data):
        return back_home("no_access")
    return back_home("access_ended")
