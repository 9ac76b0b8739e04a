"""Every response body the vendor pages show (recorded as shapes in the sources'
`response_examples`) validates against the authoritative response schema (issue 9, ledger rows
`proxy-links-type`, `processing-id`, `meta-names`, `retry-after`, `webhook-failure`)."""

from __future__ import annotations

from typing import Any

import pytest

import spec
from contracts.checks import _schema
from spec.authoring import SOURCES

EXAMPLES = [(s.id, i, body) for s in SOURCES
            for i, body in enumerate(s.claims.get("response_examples", ()))]


def test_the_new_pages_record_their_bodies() -> None:
    ids = {source for source, _, _ in EXAMPLES}
    assert {"error-codes-page", "webhooks-page", "flux-page"} <= ids
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize(("source", "index", "body"), EXAMPLES,
                         ids=[f"{s}-{i}" for s, i, _ in EXAMPLES])
@pytest.mark.parametrize("endpoint", spec.GENERATION_PATHS)
def test_each_documented_body_validates(source: str, index: int, body: dict[str, Any],
                                        endpoint: str) -> None:
    statuses = [200]
    if body["status"] == "error":  # http mode: the same body with an error status
        statuses += [400, 401, 429]
    for status in statuses:
        assert list(_schema.iter_errors(endpoint, status, body)) == [], (source, index, status)


@pytest.mark.parametrize("body", [
    {"status": "success", "output": {"0": "https://x/a.png"}},  # ledger `output-type`
    {"status": "success", "output": [], "proxy_links": {"a": "https://x/a.png"}},
    {"status": "processing", "id": 1, "eta": "soon"},
])
def test_shapes_no_source_shows_are_still_refused(body: dict[str, Any]) -> None:
    assert list(_schema.iter_errors(spec.V6, 200, body))


def _page_bodies() -> list[tuple[str, dict[str, Any]]]:
    """Every JSON object with a `status` on the seed pages and the 2026 vendor pages, when the
    checkout has them beside it (../shared): the recorded shapes above are checked against the
    pages themselves here."""
    import json

    from tests._seeds import SEEDS

    pages = [*sorted(SEEDS.glob("*.txt")),
             *sorted((SEEDS.parent / "vendor-docs-2026").glob("*.md*"))]
    decoder = json.JSONDecoder()
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        at = text.find("{")
        while at != -1:
            try:
                value, end = decoder.raw_decode(text, at)
            except ValueError:
                at = text.find("{", at + 1)
                continue
            if isinstance(value, dict) and isinstance(value.get("status"), str):
                found.append((page.name, value))
            at = text.find("{", end)
    return found


@pytest.mark.parametrize(("page", "body"), _page_bodies())
def test_each_body_on_the_pages_validates(page: str, body: dict[str, Any]) -> None:
    endpoint = spec.V3_DREAMBOOTH if "dreambooth" in page else spec.V6
    assert list(_schema.iter_errors(endpoint, 200, body)) == [], page
