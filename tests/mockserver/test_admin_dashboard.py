"""The admin endpoints the dashboard uses: the page, the journal page by page (status,
latency, bodies with keys redacted), jobs (finish or fail one now), the gallery, and the
OpenAPI document that describes every admin endpoint (and the README that lists them)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from contracts.redaction import redact_key
from mockserver.admin_openapi import DOCUMENT, OPERATIONS
from mockserver.jobs import Job
from mockserver.jobview import state
from mockserver.journal import RESPONSE_CHARS, Journal, Record
from tests.mockserver._support import ORIGIN, V6, Mock, body

SECRET = "sk-live-dashboard-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _admin(mock: Mock, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    raw = b"" if payload is None else json.dumps(payload).encode()
    response = mock.engine.handle(method, f"/__mock/{path}", {}, raw, ORIGIN)
    return response.status, response.json()


def test_the_dashboard_and_its_files_are_served_with_a_strict_policy(mock: Mock) -> None:
    for path, kind in (("/__mock/", "text/html"), ("/__mock", "text/html"),
                       ("/__mock/ui/dashboard.js", "text/javascript"),
                       ("/__mock/ui/dashboard.css", "text/css")):
        answer = mock.engine.handle("GET", path, {}, b"", ORIGIN)
        assert answer.status == 200 and answer.headers["content-type"].startswith(kind), path
        assert "default-src 'self'" in answer.headers["content-security-policy"]
    page = mock.engine.handle("GET", "/__mock/", {}, b"", ORIGIN).body.decode()
    assert "http" not in re.sub(r'href="/__mock/openapi.json"', "", page).split("<body>")[0]
    assert mock.engine.handle("GET", "/__mock/ui/nothing.js", {}, b"", ORIGIN).status == 404


def test_the_journal_pages_from_a_sequence_number(mock: Mock) -> None:
    for _ in range(5):
        mock.generate()

    _, page = _admin(mock, "GET", "journal?since=2&limit=2")
    _, rest = _admin(mock, "GET", "journal?since=4")

    assert [e["seq"] for e in page["entries"]] == [3, 4] and page["last_seq"] == 5
    assert [e["seq"] for e in rest["entries"]] == [5]
    assert _admin(mock, "GET", "journal?since=x")[0] == 422
    _admin(mock, "DELETE", "journal")
    assert _admin(mock, "GET", "journal?since=5")[1] == {"entries": [], "last_seq": 0}


def test_each_entry_has_status_latency_and_both_bodies_with_keys_redacted(mock: Mock) -> None:
    mock.post(V6, body(key=SECRET, seed=3), {"Prefer": "status=processing"})

    (entry,) = _admin(mock, "GET", "journal?since=0")[1]["entries"]

    assert entry["status"] == 200 and entry["outcome"] == "processing"
    assert isinstance(entry["latency_ms"], float) and entry["latency_ms"] >= 0
    assert entry["body"]["seed"] == 3 and entry["body"]["key"] == entry["key"]
    assert entry["response"]["status"] == "processing" and entry["response"]["id"] == 1
    assert entry["prefer"] == "status=processing"
    assert SECRET not in json.dumps(_admin(mock, "GET", "journal")[1])


def test_long_response_bodies_are_cut_and_keys_in_them_redacted() -> None:
    journal = Journal()
    long = json.dumps({"note": SECRET, "echo": "x" * 5000}).encode()
    journal.add(Record(1.0, "POST", V6, 200, "success", True, redact_key(SECRET),
                       {"key": SECRET}, response=long, latency_ms=1.5))
    journal.add(Record(1.0, "POST", V6, 200, "success",
                       response=json.dumps({"api_key": "k", "note": SECRET}).encode()))

    cut, short = journal.entries()
    assert isinstance(cut["response"], str) and len(cut["response"]) < RESPONSE_CHARS + 40
    assert cut["response"].endswith(" characters)") and cut["latency_ms"] == 1.5
    assert SECRET not in cut["response"] and redact_key(SECRET) in cut["response"]
    assert short["response"]["api_key"].startswith("***")
    assert "latency_ms" not in short


def test_jobs_list_their_state_and_end_on_demand(mock: Mock) -> None:
    done = mock.generate()["id"]
    queued = mock.generate(headers={"Prefer": "eta=30"}, track_id=9,
                           webhook="http://127.0.0.1:9/hook")["id"]
    due = mock.generate(headers={"Prefer": "eta=1"})["id"]
    mock.clock.advance(2)

    listed = _admin(mock, "GET", "jobs")[1]
    assert [(j["id"], j["state"]) for j in listed["jobs"]] == \
        [(due, "due"), (queued, "queued"), (done, "done")]
    assert listed["counts"] == {"queued": 1, "due": 1, "done": 1, "failed": 0}

    status, failed = _admin(mock, "POST", f"jobs/{queued}/fail", {"message": "GPU fell over"})
    assert status == 200 and failed["job"]["state"] == "failed"
    assert mock.post(f"/api/v6/images/fetch/{queued}", {"key": "test-key"}).json() == \
        {"status": "failed", "id": queued, "message": "GPU fell over"}
    assert mock.sender.sent[-1][1] == {"status": "failed", "id": queued,
                                       "message": "GPU fell over", "track_id": 9}
    assert _admin(mock, "POST", f"jobs/{queued}/finish")[0] == 409

    assert _admin(mock, "POST", f"jobs/{due}/finish")[1]["job"]["state"] == "done"
    fetched = mock.post(f"/api/v6/images/fetch/{due}", {"key": "test-key"}).json()
    assert fetched["status"] == "success"
    assert _admin(mock, "POST", "jobs/999/fail")[0] == 404
    assert _admin(mock, "POST", "jobs/x/fail")[0] == 404
    assert _admin(mock, "POST", f"jobs/{done}/fail", {"message": ""})[0] == 422


def test_a_job_id_of_other_digits_is_no_job(mock: Mock) -> None:
    """`str.isdigit` holds for "²" and "١" too: "²" was a server error, "١" (an Arabic-Indic
    one, read by `int`) ended job 1."""
    first = mock.generate(headers={"Prefer": "eta=30"})["id"]

    for other in ("\u00b2", "\u0661", "\uff11"):
        assert _admin(mock, "POST", f"jobs/{other}/finish") == \
            (404, {"status": "error", "message": f"no job {other!r}"})
    assert [(j["id"], j["state"]) for j in _admin(mock, "GET", "jobs")[1]["jobs"]] == \
        [(first, "queued")]


def test_a_job_set_to_fail_shows_queued_until_its_time() -> None:
    job = Job(endpoint=V6, created=0.0, due=10.0, samples=1, meta={}, generation_time=1.0,
              seed=1, prompt="p", width=512, height=512, upscale=1, failure="GPU fell over")

    assert [state(job, now) for now in (5.0, 10.0)] == ["queued", "failed"]
    assert state(dataclasses.replace(job, failure=None, finished=True), 10.0) == "done"


def test_a_failed_job_shows_no_images(mock: Mock) -> None:
    job = mock.generate(headers={"Prefer": "eta=30"})
    _admin(mock, "POST", f"jobs/{job['id']}/fail")

    assert mock.get(job["future_links"][0]).status == 404
    assert _admin(mock, "GET", "images")[1] == {"images": []}


def test_the_gallery_lists_every_image_that_can_be_shown(mock: Mock) -> None:
    first = mock.generate(prompt="a fox", seed=5, samples=2)
    mock.generate(prompt="later", headers={"Prefer": "eta=30"})
    images = _admin(mock, "GET", "images")[1]["images"]

    assert [i["url"] for i in images] == first["output"]
    assert images[0] | {"url": ""} == {"job": first["id"], "index": 0, "url": "",
                                       "base64": False, "prompt": "a fox", "seed": 5,
                                       "width": 512, "height": 512,
                                       "created": mock.clock.now}
    assert all(mock.get(i["url"]).status == 200 for i in images)


def test_the_openapi_document_is_valid_and_served(mock: Mock) -> None:
    validate(DOCUMENT)  # type: ignore[arg-type]
    assert _admin(mock, "GET", "openapi.json") == (200, json.loads(json.dumps(DOCUMENT)))


def _call(mock: Mock, method: str, path: str) -> int:
    job = mock.generate(headers={"Prefer": "eta=60"})["id"]
    concrete = (path.replace("{name}", "instant").replace("{id}", str(job))
                .replace("{file}", "dashboard.js"))
    return mock.engine.handle(method, concrete, {}, b"", ORIGIN).status


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_documented_operation_answers(mock: Mock, method: str, path: str) -> None:
    assert _call(mock, method, path) == 200


def test_the_readme_lists_every_admin_method() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The admin API", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)`", section, re.M))
    assert rows == set(OPERATIONS)


def test_the_dashboard_calls_only_documented_operations() -> None:
    script = (ROOT / "mockserver" / "static" / "dashboard.js").read_text(encoding="utf-8")
    calls = re.findall(r'\bapi\("([A-Z]+)", [`"]([^`"]+)[`"]', script)

    # The admin root: /__mock/, or /__ns/NAME/__mock/ when the page is opened in a namespace.
    assert r'.replace(/\/__mock(\/.*)?$/, "") + "/__mock/";' in script and len(calls) >= 10
    for method, path in calls:  # `${...}` in the script: any one path segment
        pattern = "/__mock/" + r"[^/]+".join(
            re.escape(part) for part in re.split(r"\$\{[^}]*\}+", path.split("?", 1)[0]))
        assert any(m == method and re.fullmatch(pattern, p) for m, p in OPERATIONS), \
            (method, path)
