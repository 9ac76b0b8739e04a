"""Dashboard: load /__mock/ with a full journal (1,000 entries) in headless Chromium and time
it until the journal table is rendered. Target: under a second.

    python bench/dashboard.py [--rounds 5] [--entries 1000] [--chromium /usr/bin/chromium]

The mock runs in its own process (`modelslab-contract mock --port 0`, as a person runs it; in
the browser's process the GIL would be shared with Playwright). Its journal is filled over
HTTP with a realistic mix (successes with two images, queued jobs, fetches, validation and
rate-limit errors, each with its response body), then each round opens a fresh page and
reports:
- `load -> rendered`: from navigation start to the moment the dashboard has put every row in
  the table (`performance.now()` recorded by the page, so browser start-up is not counted);
- `wall`: from `page.goto` to all rows present, as a person would wait (Python's clock).
Prints the median and the worst; exit 1 when the median misses the target.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tests._browser import ARGS, chromium_path

V6 = "/api/v6/images/text2img"
TARGET_MS = 1000.0


@contextmanager
def mock() -> Iterator[str]:
    """`modelslab-contract mock` on a free loopback port; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from contracts.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "mock", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip().rsplit(" ", 1)[-1]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def fill(url: str, entries: int) -> None:
    with httpx.Client(base_url=url, trust_env=False) as http:
        for i in range(entries):
            body: dict[str, object] = {
                "key": f"key-{i % 3}", "model_id": "sdxl", "prompt": f"prompt number {i}",
                "width": 512, "height": 512, "samples": 2, "seed": i}
            headers: dict[str, str] = {}
            path = V6
            kind = i % 10
            if kind == 6:
                path, body = "/api/v6/images/fetch", {"key": "key-0",
                                                      "request_id": str(max(1, i - 6))}
            elif kind == 7:
                headers["Prefer"] = "eta=60"
            elif kind == 8:
                body["width"] = 5000
            elif kind == 9:
                headers["Prefer"] = "error=rate_limit"
            http.post(path, json=body, headers=headers)
        journal = http.get("/__mock/health").json()["journal"]
    assert journal == entries, journal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--chromium", default=chromium_path())
    args = parser.parse_args()
    if not args.chromium:
        print("no Chromium: apt-get install chromium", file=sys.stderr)
        return 2
    rendered: list[float] = []
    walls: list[float] = []
    with mock() as url, sync_playwright() as playwright:
        fill(url, args.entries)
        browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
        for _ in range(args.rounds):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            started = time.perf_counter()
            page.goto(f"{url}/__mock/")
            # a locator waits without evaluating strings (the page's CSP forbids eval)
            page.locator("#journal tbody tr").nth(args.entries - 1).wait_for(
                state="attached", timeout=30_000)
            walls.append((time.perf_counter() - started) * 1000)
            rendered.append(float(page.evaluate(
                "document.documentElement.dataset.journalRendered")))
            page.close()
        browser.close()
    median = statistics.median(rendered)
    print(f"dashboard with {args.entries} journal entries, {args.rounds} rounds, "
          f"Chromium headless")
    print(f"  load -> rendered: median {median:.0f} ms, worst {max(rendered):.0f} ms")
    print(f"  wall (goto -> all rows): median {statistics.median(walls):.0f} ms, "
          f"worst {max(walls):.0f} ms")
    print(f"  target {TARGET_MS:.0f} ms: {'met' if median < TARGET_MS else 'MISSED'}")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
