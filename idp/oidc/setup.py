"""Wiring of the protocol into the app: the Authlib server, the discovery document, the endpoints."""

from __future__ import annotations

from flask import Flask

from .. import context
from ..config import Settings
from ..extensions import csrf
from . import authorize, discovery, introspection, jwks, par, revocation, token, userinfo
from .server import build_provider

#: Endpoints for portals' back-ends and resource servers: they authenticate clients, not browsers, and
#: every error they give is OAuth JSON (``idp.errors``).
API_BLUEPRINTS = frozenset(
    bp.name for bp in (token.bp, userinfo.bp, revocation.bp, introspection.bp, par.bp, discovery.bp, jwks.bp)
)


def setup_oidc(app: Flask, settings: Settings) -> None:
    context.install(app, "provider", build_provider(app, settings, context.keyring(app)))
    context.install(app, "discovery", discovery.serialised(settings))
    for module in (authorize, token, userinfo, revocation, introspection, par, discovery, jwks):
        app.register_blueprint(module.bp)
    # The authorization endpoint takes portals' cross-site form posts (OIDC Core 3.1.2.1); the others
    # authenticate clients. None of them has a citizen's form to protect.
    for module in (authorize, token, userinfo, revocation, introspection, par):
        csrf.exempt(module.bp)
