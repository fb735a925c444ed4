"""``create_app``: one portal instance, configured by its settings."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request

from . import text
from .config import Settings, load_settings
from .provider import Provider, ProviderUnavailable
from .services import Services
from .sessions import StoreSessionInterface
from .store import SessionStore
from .views import bp, message_page

LANGUAGE_COOKIE = "portal_lang"
#: The largest request body: a logout token or the sign-out form is a few kilobytes.
MAX_CONTENT_LENGTH = 64 * 1024
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.secret_key = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    store = SessionStore(settings.store_path(app.instance_path))
    app.session_interface = StoreSessionInterface(settings, store)
    app.extensions["portal"] = Services(settings, store, Provider(app, settings))
    app.register_blueprint(bp)
    _setup_languages(app, settings)
    _setup_headers(app, settings)

    @app.errorhandler(ProviderUnavailable)
    def _unavailable(error: ProviderUnavailable):  # type: ignore[no-untyped-def]
        log.warning("the provider is unavailable: %s", error)
        return message_page(
            503,
            text.translate("The national e-ID cannot be reached", g.language),
            text.translate("Please try again in a few minutes.", g.language),
        )

    return app


def _setup_languages(app: Flask, settings: Settings) -> None:
    """Vietnamese unless the visitor chose English (the switch on every page) or the browser prefers it."""

    @app.before_request
    def _language() -> None:
        chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        if chosen in text.LANGUAGES:
            g.language = chosen
        else:
            g.language = request.accept_languages.best_match(text.LANGUAGES, default=text.DEFAULT_LANGUAGE)

    @app.after_request
    def _remember(response: Response) -> Response:
        if request.args.get("lang") in text.LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, g.language, max_age=365 * 86400, samesite="Lax", secure=settings.secure_cookies
            )
        return response

    @app.context_processor
    def _words() -> dict[str, object]:
        def claim_value(claim: str, value: object) -> object:
            if claim == "gender" and value in text.GENDERS:
                return text.translate(text.GENDERS[str(value)], g.language)
            if claim == "updated_at" and isinstance(value, int | float):
                return text.when(value, g.language)
            return value

        return {
            "_": lambda message, **values: text.translate(message, g.language, **values),
            "language": g.get("language", text.DEFAULT_LANGUAGE),
            "portal_name": settings.name,
            "when": lambda timestamp: text.when(timestamp, g.language),
            "claim_label": lambda claim: (
                text.translate(text.CLAIM_LABELS[claim], g.language) if claim in text.CLAIM_LABELS else ""
            ),
            "claim_value": claim_value,
            "acr_label": lambda acr: text.translate(text.ACR_LABELS.get(acr or "", "Unknown"), g.language),
        }


def _setup_headers(app: Flask, settings: Settings) -> None:
    """No framing (but the front-channel logout page, for the provider only), no referrer (the redirect
    URI's query carries a code), nothing cached (the pages show personal data)."""
    form_targets = f"'self' {settings.issuer_origin}"  # the sign-out form is answered by a redirect there

    @app.after_request
    def _headers(response: Response) -> Response:
        ancestors = g.get("frame_ancestors") or "'none'"
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_targets}; "
            f"frame-ancestors {ancestors}; base-uri 'none'"
        )
        if ancestors == "'none'":
            response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response
