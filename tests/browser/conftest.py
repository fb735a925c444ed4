"""The browser tests run against a provider served as deployed, in a headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api as playwright_api

from tests.served import provider_app, server  # noqa: F401  (fixtures)

from . import chromium


@pytest.fixture
def browser() -> Iterator[playwright_api.Browser]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium.CHROMIUM, args=chromium.ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser_page(browser: playwright_api.Browser) -> playwright_api.Page:
    return browser.new_page(locale="vi-VN")  # a citizen's browser: Accept-Language chooses the page language
