"""The journal: one typed record per request or webhook, redacted when read, bounded."""

from __future__ import annotations

import json

from contracts.redaction import redact_key
from mockserver.journal import Delivery, Journal, Record
from tests.contracts import _leaks
from tests.mockserver._support import V6, Mock, assert_init_takes_the_fields, make_mock


def _record(**changes: object) -> Record:
    values: dict[str, object] = {"time": 1.0, "method": "POST", "path": V6, "status": 200,
                                 "outcome": "success"}
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


def test_the_journal_redacts_bodies_when_read_and_every_time() -> None:
    journal = Journal()
    body = {"key": "sekrit", "Authorization": "Bearer x", "prompt": "p"}
    journal.add(Record(1.0, "POST", "/x", 200, "success", True, redact_key("sekrit"), body))
    for _ in range(2):
        (entry,) = journal.entries()
        assert entry["body"] == {"key": redact_key("sekrit"),
                                 "Authorization": redact_key("Bearer x"), "prompt": "p"}
        assert "sekrit" not in json.dumps(entry)
    assert body["key"] == "sekrit"  # the request's own dict is left alone


def test_a_record_shows_only_what_it_holds() -> None:
    bare = _record().to_json(4)
    full = _record(json_body=True, key="***abc", body={"a": 1}, prefer="eta=1",
                   rules=("size.range",), job=9, outcome="validation").to_json(5)

    assert bare == {"kind": "request", "time": 1.0, "method": "POST", "path": V6,
                    "outcome": "success", "status": 200, "seq": 4}
    assert full == {"kind": "request", "time": 1.0, "method": "POST", "path": V6,
                    "key": "***abc", "body": {"a": 1}, "prefer": "eta=1",
                    "rules": ["size.range"], "job": 9, "outcome": "validation", "status": 200,
                    "seq": 5}
    assert _record(json_body=True).to_json(1)["key"] is None  # an object without a key


def test_a_delivery_is_built_from_what_the_sender_reports() -> None:
    report = {"kind": "webhook", "url": "http://h/x", "outcome": "delivered", "attempts": 2,
              "status": 200}

    assert Delivery.of(3, report).to_json(1) == {**report, "job": 3, "seq": 1}
    assert Delivery(3, "u", "refused", reason="host").to_json(2) == {
        "kind": "webhook", "job": 3, "url": "u", "outcome": "refused", "reason": "host", "seq": 2}


def test_seq_numbers_count_on_past_dropped_entries_and_restart_after_clear() -> None:
    journal = Journal(size=3)
    for i in range(5):
        journal.add(_record(job=i))
    journal.add(Delivery(9, "u", "dropped"))

    assert [e["seq"] for e in journal.entries()] == [4, 5, 6]
    assert [e["seq"] for e in journal.entries("webhook")] == [6]
    assert [e["job"] for e in journal.entries("request")] == [3, 4]
    journal.clear()
    journal.add(_record())
    assert [e["seq"] for e in journal.entries()] == [1] and len(journal) == 1


def test_the_engine_writes_one_record_per_api_request(mock: Mock) -> None:
    mock.post(V6, {"key": "k", "model_id": "m", "prompt": "p"}, {"prefer": "status=processing"})
    mock.engine.handle("GET", V6, {}, b"", "http://x")  # a wrong method is not journaled
    mock.post("/api/v6/images/fetch/1", b"[1]")

    queued, fetch = mock.engine.journal.entries()
    assert (queued["outcome"], queued["prefer"], queued["job"]) == \
        ("processing", "status=processing", 1)
    assert fetch["path"] == "/api/v6/images/fetch/1" and fetch["rules"] == ["body.json"]
    assert "key" not in fetch and "body" not in fetch


def test_a_key_a_request_or_its_answer_echoes_is_hidden_in_every_encoding(mock: Mock) -> None:
    """Issue 10: the journal is shown (admin API, dashboard); the key is in none of its
    encodings there, whichever field of the request or the answer carries it."""
    key = _leaks.KEY
    echoed = " ".join(_leaks.echoes(key).values())
    mock.post(V6, {"key": key, "model_id": "m", "prompt": echoed, "negative_prompt": key})

    (entry,) = mock.engine.journal.entries()
    assert entry["key"] == redact_key(key) and entry["body"]["key"] == redact_key(key)
    assert redact_key(key) in entry["body"]["negative_prompt"]
    assert _leaks.revealed(json.dumps(entry)) == []


def test_a_hostile_key_of_backslashes_does_not_hang_the_journal(mock: Mock) -> None:
    """Issue 10 (hostile input): a key of 30 backslashes and a prompt of backslashes (echoed,
    JSON-escaped, in the answer) once made reading the journal try 2**30 ways to match each
    run: the admin API's journal and the dashboard hung. Now the entry reads at once."""
    key = "\\" * 30 + "x"
    mock.post(V6, {"key": key, "model_id": "m", "prompt": "\\" * 200})

    (entry,) = mock.engine.journal.entries()
    assert entry["status"] == 200 and key not in json.dumps(entry)


def test_a_key_holding_a_lone_surrogate_leaves_the_journal_readable(mock: Mock) -> None:
    """JSON may send a lone surrogate ("\\ud800"): as a key, its URL-encoded form raised
    (rev6's finding), and every later read of the journal answered 500."""
    mock.post(V6, {"key": "sk-\ud800-12345678", "model_id": "m", "prompt": "p"})

    (entry,) = mock.engine.journal.entries()
    shown = mock.engine.handle("GET", "/__mock/journal", {}, b"", "http://127.0.0.1")
    assert entry["status"] == 200 and shown.status == 200
    assert "sk-\ud800-12345678" not in json.dumps(entry, ensure_ascii=False)


def test_the_bytes_count_is_what_the_kept_entries_hold_after_drops() -> None:
    # Dropped entries are counted out from what they hold (no second deque of sizes): by
    # count (the deque's bound) and by bytes, records and deliveries alike.
    journal = Journal(size=5, max_bytes=4_000)
    for i in range(40):
        entry = _record(prefer="x" * (i * 37 % 300), body=b"{}" if i % 3 else None,
                        response=b"r" * (i * 53 % 900)) if i % 4 else \
            Delivery(i, "http://127.0.0.1/" + "h" * i, "failed", error="e" * i)
        journal.add(entry)
        assert journal.bytes <= 4_000 or len(journal) == 1
        assert len(journal) <= 5
    kept = list(journal._entries)
    again = Journal()
    for entry in kept:
        again.add(entry)
    assert journal.bytes == again.bytes > 0  # the kept ones, counted afresh
    journal.clear()
    assert journal.bytes == 0 and len(journal) == 0


def test_a_page_asked_for_past_every_entry_is_empty_however_far() -> None:
    """`journal?since=` beyond what an index can be (a 20-digit number) answered 500: the
    in-memory journal sliced its entries from there, and `islice` refuses such a start."""
    mock = make_mock()
    mock.generate()
    for since in ("1", str(2**63), "9" * 20):
        response = mock.get(f"/__mock/journal?since={since}")
        assert response.status == 200, response.body
        assert response.json()["entries"] == []
    assert mock.engine.journal.since(0, 10**20)[0]["seq"] == 1


def test_a_records_init_takes_its_fields() -> None:
    assert_init_takes_the_fields(Record, {
        "time": 1.5, "method": "POST", "path": V6, "status": 200, "outcome": "success",
        "json_body": True, "key": "***abc", "body": b"{}", "prefer": "status=queued",
        "rules": ("r1",), "job": 7, "response": b"[]", "latency_ms": 2.5, "scope": "s"})
