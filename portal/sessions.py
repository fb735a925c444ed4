"""Flask's ``session`` kept in the portal's store: the cookie carries only a signed session id.

A visitor who has not started a sign-in gets no session at all (no row, no cookie). The sign-in
itself is not part of the dict: it is ``session.login``, read with the session and changed only
through the store (a completed sign-in, a logout, a refresh).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

from .config import Settings
from .store import SessionStore

#: A session that only holds authorization requests under way lives as long as Authlib keeps them.
PENDING_LIFETIME = 3600


class PortalSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self, data: dict[str, Any] | None = None, *, session_id: str | None = None, login: dict[str, Any] | None = None
    ) -> None:
        def changed(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.session_id = session_id
        self.login = login
        self.modified = False
        #: The id changed in this request (a sign-in): the browser gets the new cookie.
        self.renewed = False


class StoreSessionInterface(SessionInterface):
    def __init__(self, settings: Settings, store: SessionStore) -> None:
        self.settings = settings
        self.store = store

    def _signer(self, app: Flask) -> Signer:
        return Signer(app.secret_key, salt="portal-session")  # type: ignore[arg-type]

    def open_session(self, app: Flask, request: Request) -> PortalSession:
        cookie = request.cookies.get(self.settings.cookie_name)
        if not cookie:
            return PortalSession()
        try:
            session_id = self._signer(app).unsign(cookie).decode()
        except BadSignature:
            return PortalSession()
        stored = self.store.get(session_id)
        if stored is None:
            return PortalSession()
        return PortalSession(stored.data, session_id=session_id, login=stored.login)

    def save_session(self, app: Flask, session: PortalSession, response: Response) -> None:  # type: ignore[override]
        if session.session_id is None:
            if not session:
                return
            session.session_id = self.store.create(dict(session), lifetime=PENDING_LIFETIME)
            session.renewed = True
        elif session.modified and not self.store.save_data(session.session_id, dict(session)):
            self._forget(response)
            return
        if session.renewed:
            response.vary.add("Cookie")
            response.set_cookie(
                self.settings.cookie_name,
                self._signer(app).sign(session.session_id).decode(),
                httponly=True,
                secure=self.settings.secure_cookies,
                samesite="Lax",
                path="/",
            )

    def _forget(self, response: Response) -> None:
        response.delete_cookie(self.settings.cookie_name, path="/", secure=self.settings.secure_cookies, samesite="Lax")
