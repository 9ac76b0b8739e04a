"""The hot path's shortcuts answer as the long way does: the prebuilt JSON encoder, the
journal's redaction when it is read, the adapter's header dict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.journal import Journal, Record, redact_key
from mockserver.request import Headers, decode, header
from mockserver.response import dump
from tests.mockserver._support import V6, Mock


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True, False, "é\"\n\u2028"], "b": {"c": 1e16, "d": -0.0}},
    [], {}, "text", 3, 7.5, None, {1: 2}, {"big": 2**70},
])
def test_dump_is_the_compact_encoder(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(dump(value)) == json.loads(expected)
    assert dump(value).replace(b"e+", b"e") == expected.replace(b"e+", b"e")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_become_null_so_browsers_can_parse_every_answer(value: float) -> None:
    assert dump({"k": value}) == b'{"k":null}'


def test_dump_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError):
        dump({"x": object()})


@pytest.mark.parametrize("body", [
    b'{"a": 1}', b"{", b"{}", b'{"a": "\\ud800"}', '{"é": 1}'.encode(),
    '{"a": 1}'.encode("utf-16"), '{"a": 1}'.encode("utf-16-le"), '{"a": 1}'.encode("utf-32"),
    b"\xef\xbb\xbf{}", b"[1]", b"", b"\xff\xfe", b"{\x00",
])
def test_decode_reads_bodies_as_json_loads_does(body: bytes) -> None:
    try:
        expected = json.loads(body)
    except (ValueError, RecursionError):
        expected = None
    assert decode(body) == expected


def test_the_adapter_headers_are_looked_up_once() -> None:
    assert header(Headers({"prefer": "eta=1"}), "prefer") == "eta=1"
    assert header(Headers({"Prefer": "eta=1"}), "prefer") is None  # names come lower-case
    assert header({"Prefer": "eta=1"}, "prefer") == "eta=1"  # other mappings are searched


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


def test_redacted_keys_are_remembered_but_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver import journal

    monkeypatch.setattr(journal, "_REDACTED_SIZE", 3)
    monkeypatch.setattr(journal, "_redacted", {})
    first = [redact_key(f"key-{i}") for i in range(10)]
    assert len(journal._redacted) <= 3
    assert [redact_key(f"key-{i}") for i in range(10)] == first
    assert len(set(first)) == 10


def test_the_journal_of_the_engine_never_shows_a_key(mock: Mock) -> None:
    mock.post(V6, {"key": "sekrit", "model_id": "m", "prompt": "p", "api_key": "other"})
    (entry,) = mock.engine.journal.entries()
    assert entry["body"]["key"] == entry["key"] == redact_key("sekrit")
    assert entry["body"]["api_key"] == redact_key("other")
    assert "sekrit" not in json.dumps(entry) and "other" not in json.dumps(entry)

