"""Issue 10, medium and low findings on hostile input: lone surrogates, non-ASCII digits,
keys sent as lists or objects, nested key fields, the journal and the redaction cache bounded
in bytes, and new work refused (not pending jobs evicted) at `max_jobs`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts import redaction
from mockserver.journal import Journal, Record
from tests.mockserver._support import V6, Mock, body, make_mock

FETCH = "/api/v6/images/fetch"


def _raw(fields: str) -> bytes:
    """A body written by hand (so escapes such as \\ud800 reach the mock as sent)."""
    return ('{"key": "test-key", "model_id": "sdxl", ' + fields + "}").encode()


@pytest.mark.parametrize("field", ["prompt", "negative_prompt", "track_id", "model_id"])
def test_a_lone_surrogate_in_a_text_field_is_no_500_and_the_job_stays_fetchable(
        mock: Mock, field: str) -> None:
    extra = '"prompt": "p", ' if field != "prompt" else ""
    answer = mock.post(V6, _raw(f'{extra}"{field}": "a \\ud800 b"'))

    assert answer.status == 200
    made = answer.json()
    assert made["status"] in ("success", "error") and made.get("message") != \
        "Server error, try again later"
    if made["status"] == "success":
        fetched = mock.post(f"{FETCH}/{made['id']}", {"key": "test-key"})
        assert fetched.status == 200 and fetched.json()["status"] == "success"
        image = mock.get(made["output"][0])
        assert image.status == 200
    journal = mock.engine.handle("GET", "/__mock/journal", {}, b"", "http://x")
    assert journal.status == 200 and json.loads(journal.body)["entries"]


@pytest.mark.parametrize("job_id", ["\u00b2", "\u0663", "\uff11", "1\u00b2"])
def test_a_non_ascii_digit_as_a_fetch_id_is_unknown_not_500(mock: Mock, job_id: str) -> None:
    by_path = mock.post(f"{FETCH}/{job_id}", {"key": "test-key"}).json()
    by_body = mock.post(FETCH, {"key": "test-key", "request_id": job_id}).json()

    assert by_path["message"] == by_body["message"] == "Request id not found"


@pytest.mark.parametrize("key", [["sk-secret-in-a-list-0001"],
                                 {"k": "sk-secret-in-an-object-02"},
                                 [{"deep": "sk-secret-deep-in-a-list-3"}]])
def test_a_key_sent_as_a_list_or_object_is_never_echoed(mock: Mock, key: Any) -> None:
    answer = mock.post(V6, body(key=key))
    journal = mock.engine.handle("GET", "/__mock/journal", {}, b"", "http://x").body

    assert b"sk-secret" not in answer.body and b"sk-secret" not in journal
    assert answer.json()["status"] == "error"


def test_nested_key_fields_are_redacted_in_the_journal(mock: Mock) -> None:
    mock.generate(extra={"key": "sk-nested-0001", "list": [{"api_key": "sk-nested-0002"}]},
                  headers_copy={"Authorization": "Bearer sk-nested-0003"})
    shown = json.dumps(mock.engine.journal.entries())

    assert "sk-nested" not in shown


def test_the_journal_is_bounded_in_bytes() -> None:
    journal = Journal(size=1000, max_bytes=200_000)
    for i in range(300):
        journal.add(Record(float(i), "POST", V6, 200, "success", True, "***", None,
                           "eta=1;" + "x" * 1_000_000))

    assert journal.bytes <= 200_000 and len(journal) >= 100
    shown = journal.entries()
    assert all(len(e["prefer"]) < 300 for e in shown) and shown[-1]["time"] == 299.0


def test_huge_prefer_headers_do_not_grow_the_mock_journal(mock: Mock) -> None:
    for _ in range(50):
        mock.post(V6, body(), {"prefer": "eta=1, " + "x" * 1_000_000})

    assert mock.engine.journal.bytes <= 50 * 6 * 1024  # a kept body (4 KiB) and the rest


def test_the_redaction_cache_never_holds_long_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_redacted", {})
    long_keys = [f"{i:04d}" + "k" * 60_000 for i in range(50)]
    forms = [redaction.redact_key(k) for k in long_keys]

    assert sum(len(k) for k in redaction._redacted) < 1024
    assert forms == [redaction.redact_key(k) for k in long_keys]  # still stable


def test_new_work_is_refused_at_max_jobs_instead_of_evicting_pending_jobs() -> None:
    mock = make_mock(max_jobs=3, queue="always", eta=60.0)
    try:
        queued = [mock.generate(prompt=f"p{i}") for i in range(3)]
        refused = mock.post(V6, body(prompt="one too many"))
        instant = mock.post(V6, body(prompt="even instant"), {"prefer": "status=success"})

        for answer in (refused, instant):
            assert answer.json() == {"status": "error", "message": "Rate limit exceeded"}
        for job in queued:  # every pending job is still there
            fetched = mock.post(f"{FETCH}/{job['id']}", {"key": "test-key"}).json()
            assert fetched["status"] == "processing"
        mock.clock.advance(61)
        assert mock.generate(prompt="after")["status"] == "processing"
    finally:
        mock.engine.close()


def test_at_max_jobs_in_http_mode_the_refusal_is_a_429_with_retry_after() -> None:
    mock = make_mock(max_jobs=1, queue="always", eta=30.0, error_mode="http")
    try:
        mock.generate()
        refused = mock.post(V6, body())
        assert refused.status == 429 and 1 <= int(refused.headers["retry-after"]) <= 30
    finally:
        mock.engine.close()


def test_finished_jobs_are_evicted_before_pending_ones() -> None:
    mock = make_mock(max_jobs=3)
    try:
        pending = mock.generate(headers={"prefer": "eta=60"})
        for i in range(5):
            mock.generate(prompt=f"instant {i}")
        fetched = mock.post(f"{FETCH}/{pending['id']}", {"key": "test-key"}).json()
        assert fetched["status"] == "processing"
    finally:
        mock.engine.close()
