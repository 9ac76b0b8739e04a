"""Chromium under Playwright for the browser tests: Debian's `chromium` (pip's Playwright
cannot download browsers here; `.ci/run` installs the package), a page that records console
errors, and screenshots kept under the test's tmp dir."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Flags for a quiet, sandbox-less Chromium in a container (no network of its own).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """$MODELSLAB_CHROMIUM, else /usr/bin/chromium, else `chromium` on the PATH."""
    for candidate in (os.environ.get("MODELSLAB_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module (each test gets its own context). Not per
    session: while Playwright's sync API runs, asyncio sees a running loop in the main thread,
    and later modules' `asyncio.run` would fail."""
    # CI installs both (`.ci/run`), so there a missing one fails rather than skips.
    missing = pytest.fail if os.environ.get("CI") else pytest.skip
    try:
        from playwright import sync_api
    except ImportError:
        missing("no Playwright: pip install -e '.[test]'")
    path = chromium_path()
    if path is None:
        missing("no Chromium: apt-get install chromium (or set MODELSLAB_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=ARGS)
        yield launched
        launched.close()


@dataclass
class Pages:
    """New pages in one browser context; console errors and page errors of all of them."""

    browser: Browser
    shots: Path
    errors: list[str] = field(default_factory=list)
    _context: Any = None

    def new(self) -> Page:
        if self._context is None:
            self._context = self.browser.new_context(viewport={"width": 1400, "height": 900})
        page = self._context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def shot(self, page: Page, name: str) -> Path:
        """A screenshot for a person to look at (the tests assert on the DOM, not pixels)."""
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        if self._context is not None:
            self._context.close()


@pytest.fixture
def pages(browser: Browser, tmp_path: Path) -> Iterator[Pages]:
    """Pages for one test; fails it if any page logged a console error."""
    made = Pages(browser, tmp_path)
    yield made
    made.close()
    assert made.errors == [], f"console errors: {made.errors}"
