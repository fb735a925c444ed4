"""Languages of the pages: Vietnamese by default, English on request.

The choice comes from ``?lang=`` (the switch on every page), remembered in the session, or from an
authorization request's ``ui_locales`` (``idp.browser``). Catalogues are compiled from the shipped
``.po`` files into the instance folder at start, so no generated file is kept in the repository.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, url_for
from flask_babel import get_locale

from .browser import DEFAULT_LOCALE, SUPPORTED_LOCALES, select_locale
from .extensions import babel

#: The whole country keeps one time (UTC+7, no daylight saving).
TIMEZONE = "Asia/Ho_Chi_Minh"


def compile_catalogues(target: Path) -> Path:
    """Write ``.mo`` files for every shipped ``.po`` catalogue; returns the translations directory."""
    source = resources.files("idp") / "translations"
    for language in SUPPORTED_LOCALES:
        po_file = source / language / "LC_MESSAGES" / "messages.po"
        if not po_file.is_file():
            continue
        out = target / language / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        partial = out / f"messages.mo.{os.getpid()}"
        with partial.open("wb") as handle:
            write_mo(handle, catalog)
        os.replace(partial, out / "messages.mo")  # atomic: other workers never read half a file
    return target


def setup_i18n(app: Flask) -> None:
    directory = compile_catalogues(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_TIMEZONE"] = TIMEZONE  # times on pages are Vietnam's; stored ones are UTC
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _locale() -> dict[str, object]:
        return {"current_locale": str(get_locale() or DEFAULT_LOCALE), "language_url": language_url}


def language_url(language: str) -> str:
    """This page in another language; a portal's request the page belongs to (in the query, or in the form
    that was just sent) goes along, so switching languages never loses the way back to the portal."""
    if request.endpoint is None:
        return f"?lang={language}"
    args = dict(request.args)
    interaction = request.form.get("interaction") if request.method == "POST" else None
    if interaction and "interaction" not in args:
        args["interaction"] = interaction
    args["lang"] = language
    return url_for(request.endpoint, **args)
