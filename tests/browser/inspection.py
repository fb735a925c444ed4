"""A page as a person sees it: axe-core's accessibility checks, the width of a phone and of a desktop,
and a full-page screenshot of each for the reviewers (``artifacts/screenshots``, kept by CI).

axe-core comes bundled in the ``axe-playwright-python`` package: nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.served import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: A small phone and a desktop.
WIDTHS = (360, 1280)
#: Impacts that fail the test; axe's "minor" and "moderate" findings are printed.
BLOCKING = ("serious", "critical")

_AXE = Axe()


@dataclass
class Inspector:
    """Inspects pages in one language and keeps what fails, so that one run reports every page."""

    language: str
    failures: list[str] = field(default_factory=list)

    def inspect(self, page: Page, name: str) -> None:
        """Check the page at every width and save its screenshots as ``<name>-<language>-<width>.png``."""
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == self.language, f"{name} is not in {self.language}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            where = f"{name} ({self.language}, {width} px)"
            page.set_viewport_size({"width": width, "height": 800})
            results = _AXE.run(page).response
            assert results["passes"], f"{where}: axe-core checked nothing"
            for violation in results["violations"]:
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
                line = f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} [{targets}]"
                if violation["impact"] in BLOCKING:
                    self.failures.append(line)
                else:
                    print(line)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                self.failures.append(f"{where}: wider than the window by {overflow} px (sideways scrolling)")
            page.screenshot(path=SCREENSHOTS / f"{name}-{self.language}-{width}.png", full_page=True)
