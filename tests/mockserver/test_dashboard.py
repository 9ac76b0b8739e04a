"""The dashboard at /__mock/ in a real browser: the journal shows requests live, scenario
buttons and settings change what the next request gets, "fail now" and "finish now" end a
queued job, the gallery shows the images; no console errors (the `pages` fixture checks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contracts.redaction import redact_key
from mockserver import LiveServer, MockConfig
from tests._browser import Pages

expect = pytest.importorskip("playwright.sync_api").expect
V6 = "/api/v6/images/text2img"
KEY = "sk-dashboard-secret-0123"
SECOND = 1000  # ms: the journal must show a request within a second


# `pages` comes last in each test's parameters: its pages close before the mock stops (they
# poll it, and a refused connection is a console error).
@pytest.fixture
def live() -> Iterator[LiveServer]:
    with LiveServer(MockConfig()) as server:
        yield server


@pytest.fixture
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, trust_env=False, timeout=10) as client:
        yield client


def _generate(http: httpx.Client, prefer: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"key": KEY, "model_id": "sdxl", "prompt": "a red fox in the snow", "width": 512,
            "height": 512, "samples": 1, **fields}
    headers = {"Prefer": prefer} if prefer else {}
    answer: dict[str, Any] = http.post(V6, json=body, headers=headers).json()
    return answer


def _open(pages: Pages, live: LiveServer, tab: str = "journal") -> Any:
    page = pages.new()
    page.goto(f"{live.url}/__mock/#{tab}")
    expect(page.locator("#live")).to_have_text("● live", timeout=5 * SECOND)
    return page


def test_the_journal_shows_each_request_within_a_second(
        live: LiveServer, http: httpx.Client, pages: Pages) -> None:
    page = _open(pages, live)
    rows = page.locator("#journal tbody tr")
    _generate(http, seed=7)
    expect(rows).to_have_count(1, timeout=SECOND)
    _generate(http, prefer="error=rate_limit")
    http.post("/api/v6/images/fetch", json={"key": KEY, "request_id": "1"})

    expect(rows).to_have_count(3, timeout=SECOND)
    newest, limited, first = rows.nth(0), rows.nth(1), rows.nth(2)
    expect(first.locator("td").nth(3)).to_have_text(V6)
    expect(first).to_contain_text("200 success")
    expect(limited).to_contain_text("rate_limit")
    expect(limited).to_contain_text("error=rate_limit")
    expect(newest).to_contain_text("/api/v6/images/fetch")
    expect(first.locator("td").nth(7)).to_contain_text(" ms")

    first.click()
    detail = page.locator("#detail")
    expect(detail.locator("pre.res")).to_contain_text('"status": "success"')
    expect(detail.locator("pre.req")).to_contain_text('"seed": 7')
    assert KEY not in page.content()
    pages.shot(page, "journal")

    page.fill("#filter-path", "fetch")
    expect(page.locator("#journal tbody tr:not([hidden])")).to_have_count(1)
    page.fill("#filter-path", "")
    page.select_option("#filter-status", "error")
    expect(page.locator("#journal tbody tr:not([hidden])")).to_have_count(1)
    page.select_option("#filter-status", "")
    _generate(http, key="another-key")
    expect(rows).to_have_count(4, timeout=SECOND)
    page.select_option("#filter-key", redact_key("another-key"))
    expect(page.locator("#journal tbody tr:not([hidden])")).to_have_count(1)


def test_a_scenario_button_changes_what_the_next_request_gets(
        live: LiveServer, http: httpx.Client, pages: Pages) -> None:
    page = _open(pages, live)
    assert _generate(http)["status"] == "success"

    page.click("button[data-scenario='slow-queue']")
    expect(page.locator("button[data-scenario='slow-queue']")).to_have_class("preset active")
    expect(page.locator("#summary")).to_contain_text("queue always")

    assert _generate(http)["status"] == "processing"
    pages.shot(page, "scenario")
    page.click("button[data-scenario='default']")
    expect(page.locator("#summary")).to_contain_text("queue never")
    assert _generate(http)["status"] == "success"


def test_fail_now_ends_a_queued_job_failed_and_finish_now_succeeds(
        live: LiveServer, http: httpx.Client, pages: Pages) -> None:
    failing = _generate(http, prefer="eta=60", prompt="will fail")["id"]
    finishing = _generate(http, prefer="eta=60", prompt="will finish")["id"]
    page = _open(pages, live, "jobs")
    row = page.locator(f"#jobs tr[data-job='{failing}']")
    expect(row).to_have_attribute("data-state", "queued", timeout=SECOND)

    row.get_by_role("button", name="Fail now").click()
    expect(row).to_have_attribute("data-state", "failed", timeout=SECOND)
    expect(row).to_contain_text("Failed, Try Again")
    other = page.locator(f"#jobs tr[data-job='{finishing}']")
    other.get_by_role("button", name="Finish now").click()
    expect(other).to_have_attribute("data-state", "done", timeout=SECOND)
    expect(page.locator("#job-counts")).to_contain_text("1 failed")
    pages.shot(page, "jobs")

    fetched = http.post(f"/api/v6/images/fetch/{failing}", json={"key": KEY}).json()
    assert fetched == {"status": "failed", "id": failing, "message": "Failed, Try Again"}
    assert http.post(f"/api/v6/images/fetch/{finishing}",
                     json={"key": KEY}).json()["status"] == "success"


def test_the_gallery_shows_the_generated_images(
        live: LiveServer, http: httpx.Client, pages: Pages) -> None:
    _generate(http, prompt="a lighthouse at dusk", seed=11, samples=2)
    _generate(http, prompt="a bowl of ramen", seed=12, width=768, height=512)
    page = _open(pages, live, "gallery")

    cards = page.locator("#gallery figure")
    expect(cards).to_have_count(3, timeout=SECOND)
    expect(cards.nth(0)).to_contain_text("a bowl of ramen")
    expect(cards.nth(0)).to_contain_text("seed 12 · 768×512")
    expect(cards.nth(2)).to_contain_text("seed 11 · 512×512")
    for index, width in enumerate([768, 512, 512]):  # loaded, at their real size
        expect(page.locator("#gallery img").nth(index)).to_have_js_property("naturalWidth",
                                                                            width)
    pages.shot(page, "gallery")


def test_settings_are_edited_in_place(
        live: LiveServer, http: httpx.Client, pages: Pages) -> None:
    page = _open(pages, live, "settings")
    form = page.locator("#settings")
    expect(form.locator("input[name='failure_rate']")).to_have_value("0")

    form.locator("input[name='failure_rate']").fill("1")
    form.locator("input[name='latency']").fill("uniform:10-20")
    form.get_by_role("button", name="Apply changes").click()
    expect(page.locator("#settings-msg")).to_have_text("applied: latency, failure_rate")
    pages.shot(page, "settings")

    assert live.engine.config.failure_rate == 1 and live.engine.config.latency == "uniform:10-20"
    assert _generate(http)["status"] == "failed"


def test_a_full_journal_renders(live: LiveServer, pages: Pages) -> None:
    body = json.dumps({"key": KEY, "model_id": "sdxl", "prompt": "p"}).encode()
    for _ in range(1000):
        live.engine.handle("POST", V6, {}, body, live.url)
    page = _open(pages, live)
    expect(page.locator("#journal tbody tr")).to_have_count(1000, timeout=5 * SECOND)
    expect(page.locator("#count-journal")).to_have_text("1000")
