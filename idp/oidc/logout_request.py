"""An RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2–3), read and checked.

* ``id_token_hint`` must be an ID token we issued (our keys, our algorithms; an expired one is still a
  hint); it names the portal (``aud``) and the session the portal knows (``sid``).
* ``client_id``, when given with a hint, must be the hint's audience.
* ``post_logout_redirect_uri`` is honoured only when registered, exactly, for the portal named by the
  hint or ``client_id``; otherwise the request is refused and nobody is redirected anywhere.
* ``state`` goes back with the redirect; ``ui_locales`` chooses the page language.

Whether the request may end the browser's session without asking is the caller's business
(:meth:`LogoutRequest.proves`): only a hint for that very session proves that a portal of it sent it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from authlib.common.urls import add_params_to_uri

from keys import MAX_TOKEN_LENGTH

from ..config import Settings
from .id_token_hint import ForeignHint, read_hint

#: The parameters a logout request may carry; the confirmation form sends them back unchanged.
PARAMETERS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")
_MAX_LENGTH = {"id_token_hint": MAX_TOKEN_LENGTH, "client_id": 64, "ui_locales": 100}
_DEFAULT_MAX_LENGTH = 2000


class InvalidLogoutRequest(Exception):
    """The request cannot be honoured as asked; nothing is ended and nobody is redirected."""


@dataclass(frozen=True, slots=True)
class Portal:
    client_id: str
    name: str
    post_logout_redirect_uris: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    params: dict[str, str]
    portal: Portal | None
    #: The ``sid`` of the hint: the session the portal knows.
    hinted_sid: str | None
    redirect_uri: str | None
    ui_locales: tuple[str, ...]

    def proves(self, sids: set[str]) -> bool:
        """The request carries a genuine hint for one of these sessions (the browser's)."""
        return self.hinted_sid is not None and self.hinted_sid in sids

    def return_to(self) -> str | None:
        """Where the citizen goes once signed out: the registered URI, with ``state`` when one came."""
        if self.redirect_uri is None:
            return None
        state = self.params.get("state")
        return add_params_to_uri(self.redirect_uri, [("state", state)]) if state else self.redirect_uri


def read_logout_request(
    raw: Mapping[str, str], *, keyring: object, settings: Settings, find_portal: Callable[[str], Portal | None]
) -> LogoutRequest:
    params = {name: raw[name] for name in PARAMETERS if raw.get(name)}
    for name, value in params.items():
        if "\x00" in value or len(value) > _MAX_LENGTH.get(name, _DEFAULT_MAX_LENGTH):
            raise InvalidLogoutRequest(f"the {name} parameter is malformed")
    client_id, hinted_sid = params.get("client_id"), None
    if "id_token_hint" in params:
        try:
            hint = read_hint(keyring, params["id_token_hint"], settings)
        except ForeignHint:
            raise InvalidLogoutRequest("the id_token_hint was not issued by this provider") from None
        if client_id is None and len(hint.audiences) == 1:
            client_id = hint.audiences[0]
        if client_id not in hint.audiences:
            raise InvalidLogoutRequest("the id_token_hint was not issued to this client")
        hinted_sid = hint.sid
    portal = find_portal(client_id) if client_id else None
    if client_id and portal is None:
        raise InvalidLogoutRequest("the client is not registered")
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri is not None and (portal is None or redirect_uri not in portal.post_logout_redirect_uris):
        raise InvalidLogoutRequest("the post_logout_redirect_uri is not registered for this client")
    locales = tuple(params.get("ui_locales", "").split())
    return LogoutRequest(params, portal, hinted_sid, redirect_uri, locales)
