"""Authorization responses: every redirect back to a portal carries ``iss`` (RFC 9207), errors included,
and nothing is ever redirected to a URI that is not registered for the client (RFC 9700 §4.11.2)."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Response, redirect
from werkzeug.datastructures import MultiDict

from .. import context


class AuthorizationRefused(Exception):
    """An authorization request that ends in *error*: sent back to *redirect_uri* when that is registered for
    the client, else shown to the citizen. Raised by the endpoint and its pages, answered by ``idp.errors``."""

    def __init__(
        self, error: OAuth2Error, *, redirect_uri: str | None = None, state: str | None = None, after_post: bool = False
    ) -> None:
        super().__init__(error.error)
        self.error = error
        self.redirect_uri = redirect_uri
        self.state = state
        self.after_post = after_post


def with_issuer(uri: str) -> str:
    """RFC 9207 §2: the issuer identifier in every authorization response."""
    return add_params_to_uri(uri, [("iss", context.settings().issuer)])


def redirect_to_client(location: str, *, after_post: bool = False) -> Response:
    """302 after a GET; 303 after a POST, never 307 (RFC 9700 §4.12)."""
    return redirect(with_issuer(location), code=303 if after_post else 302)


def error_to_client(error: OAuth2Error, redirect_uri: str, state: str | None, *, after_post: bool = False) -> Response:
    params = [("error", error.error)]
    if error.description:
        params.append(("error_description", error.description))
    if state:
        params.append(("state", state))
    return redirect_to_client(add_params_to_uri(redirect_uri, params), after_post=after_post)


def registered_redirect_uri(params: MultiDict[str, str], client: object | None) -> str | None:
    """The request's redirect_uri, only if it is registered, exactly, for this active client.

    A request that repeats ``client_id`` or ``redirect_uri`` names no trustworthy pair, so its error
    is shown, not redirected (RFC 6749 §3.1 and §4.1.2.1).
    """
    if any(len(params.getlist(name)) != 1 for name in ("client_id", "redirect_uri")):
        return None
    uri = params["redirect_uri"]
    if client is None or not uri or not client.check_redirect_uri(uri):  # type: ignore[attr-defined]
        return None
    return uri
