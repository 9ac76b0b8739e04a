"""examples/web/ in a real browser against the mock: a success flow, a queued flow with the
spinner visible, an error flow; the dashboard, open beside it, shows each request within a
second. No console errors on either page (the `pages` fixture checks)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mockserver import LiveServer, MockConfig
from tests._browser import Pages

expect = pytest.importorskip("playwright.sync_api").expect
WEB = Path(__file__).resolve().parents[2] / "examples" / "web"
SECOND = 1000


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    """examples/web/ on a loopback port, as any static server would serve it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(WEB)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def live() -> Iterator[LiveServer]:
    with LiveServer(MockConfig()) as server:
        yield server


def _journal_row(dashboard: Any, path: str, outcome: str) -> Any:
    return dashboard.locator("#journal tbody tr", has_text=path).filter(has_text=outcome)


def test_the_example_page_runs_every_flow(site: str, live: LiveServer, pages: Pages) -> None:
    dashboard = pages.new()
    dashboard.goto(f"{live.url}/__mock/")
    expect(dashboard.locator("#live")).to_have_text("● live", timeout=5 * SECOND)
    page = pages.new()
    page.goto(f"{site}/index.html?mock={live.url}")
    expect(page.locator("#api")).to_have_text(live.url)
    images = page.locator("#images img")

    # success: the images at once
    page.click("#generate")
    expect(images).to_have_count(1, timeout=5 * SECOND)
    page.wait_for_function("document.querySelector('#images img').naturalWidth === 512")
    expect(page.locator("#spinner")).to_be_hidden()
    expect(_journal_row(dashboard, "/api/v6/images/text2img", "success")).to_have_count(
        1, timeout=SECOND)
    pages.shot(page, "success")

    # queued: the spinner while processing, then fetch answers success
    page.select_option("select[name='prefer']", "eta=2")
    page.fill("input[name='samples']", "2")
    page.click("#generate")
    expect(page.locator("#spinner")).to_be_visible(timeout=SECOND)
    expect(page.locator("#message")).to_contain_text("processing")
    expect(_journal_row(dashboard, "/api/v6/images/text2img", "processing")).to_have_count(
        1, timeout=SECOND)
    pages.shot(page, "processing")
    expect(images).to_have_count(2, timeout=6 * SECOND)
    expect(page.locator("#spinner")).to_be_hidden()
    expect(_journal_row(dashboard, "/api/v6/images/fetch/", "success")).to_have_count(
        1, timeout=SECOND)

    # error: the API's message, no images
    page.select_option("select[name='prefer']", "error=rate_limit")
    page.click("#generate")
    expect(page.locator("#error")).to_have_text("Rate limit exceeded", timeout=5 * SECOND)
    expect(images).to_have_count(0)
    expect(_journal_row(dashboard, "/api/v6/images/text2img", "rate_limit")).to_have_count(
        1, timeout=SECOND)
    pages.shot(page, "error")
    pages.shot(dashboard, "dashboard")
