"""Debian's Chromium under Playwright: where it is, how it is started here, and when the tests run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Flags for a sandboxed machine with no outside network (see the machine notes in the README).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: ``pytestmark`` of every browser test module. On a developer's machine without Chromium the browser
#: tests are skipped; CI installs it, so never there.
MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian's chromium package is not installed"
    ),
]


def console_errors(page: Page) -> list[str]:
    """The errors the page's console will show from now on (a script or style the CSP blocked, say), but
    for the status of the page itself (an error page's 404, a refused form's 400) and of the favicon that
    Chromium asks each origin for once a page stays open a moment (no page links one: a 404)."""
    errors: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        url = message.location.get("url") or ""
        if message.type == "error" and url != page.url and urlsplit(url).path != "/favicon.ico":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", seen)
    return errors
