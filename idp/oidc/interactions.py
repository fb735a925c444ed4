"""Pending authorization requests, kept in the signed session cookie while the citizen signs in or consents.

The parameters are the portal's own request (no secrets of the citizen), so a signed cookie is
enough and keeps every provider process stateless. A browser holds a few pending requests at most
(several tabs); the oldest is dropped, and any older than the limit is forgotten.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import session
from werkzeug.datastructures import MultiDict

from .. import context
from ..sso import acr
from .claims import parse_claims_request

_KEY = "interactions"
MAX_PENDING = 4
MAX_AGE_SECONDS = 30 * 60


@dataclass(slots=True)
class Interaction:
    id: str
    params: MultiDict[str, str]
    started_at: float
    logged_in_at: float | None
    consented: bool
    #: The citizen read that their identity is below the level the portal asked for, and went on.
    level_acknowledged: bool = False


def _all() -> dict[str, dict]:  # type: ignore[type-arg]
    pending = session.get(_KEY, {})
    now = time.time()
    return {k: v for k, v in pending.items() if now - v["t"] < MAX_AGE_SECONDS}


def save(params: MultiDict[str, str]) -> Interaction:
    pending = _all()
    while len(pending) >= MAX_PENDING:
        pending.pop(min(pending, key=lambda k: pending[k]["t"]))
    interaction_id = secrets.token_urlsafe(12)
    now = time.time()
    pending[interaction_id] = {"p": list(params.items(multi=True)), "t": now, "l": None, "c": False, "a": False}
    session[_KEY] = pending
    return Interaction(interaction_id, params, now, None, False)


def load(interaction_id: str | None) -> Interaction | None:
    entry = _all().get(interaction_id or "")
    if entry is None:
        return None
    return Interaction(
        interaction_id or "", MultiDict(entry["p"]), entry["t"], entry["l"], entry["c"], entry.get("a", False)
    )


def _update(interaction_id: str, **changes: object) -> None:
    pending = _all()
    if interaction_id in pending:
        pending[interaction_id].update(changes)
        session[_KEY] = pending


def mark_logged_in(interaction_id: str) -> None:
    _update(interaction_id, l=time.time())


def mark_consented(interaction_id: str) -> None:
    _update(interaction_id, c=True)


def wanted_acr(interaction: Interaction) -> list[acr.AcrClass]:
    """The ``acr`` classes the portal's request asks for (its parameters were validated when it was saved)."""
    params = interaction.params
    return acr.wanted(params.get("acr_values"), parse_claims_request(params.get("claims")))


def portal_name(interaction: Interaction | None) -> str | None:
    """The name of the portal that sent the citizen, to show on the pages of its request."""
    if interaction is None:
        return None
    client = context.provider().query_client(interaction.params.get("client_id", ""))
    return client.name if client is not None else None


def mark_level_acknowledged(interaction_id: str) -> None:
    _update(interaction_id, a=True)


def finish(interaction_id: str) -> None:
    pending = _all()
    if pending.pop(interaction_id, None) is not None:
        session[_KEY] = pending
