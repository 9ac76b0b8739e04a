"""Decoding a request: the JSON body (as `json.loads` reads it), headers, `Prefer`, a `Call`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mockserver import Prefer
from mockserver.limits import MAX_BODY_DEPTH
from mockserver.request import NO_PREFER, Call, Headers, decode, header, key_of, read
from tests.mockserver._support import assert_init_takes_the_fields

V6 = "/api/v6/images/text2img"


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


def test_the_prefer_header_is_parsed_leniently() -> None:
    assert Prefer.parse("status=processing, eta=1.5") == Prefer("processing", 1.5, None)
    assert Prefer.parse('error="rate_limit"; eta=-3') == Prefer(None, None, "rate_limit")
    assert Prefer.parse("eta=nan") == Prefer() and Prefer.parse(None) == Prefer()


def test_a_prefer_that_asks_for_nothing_is_false() -> None:
    assert not Prefer.parse(";;,=") and not NO_PREFER
    assert Prefer.parse("eta=0") and Prefer.parse("status=success")


def test_a_call_holds_what_came() -> None:
    call = read("POST", "/api/v6/images/fetch/{id}", V6, "12",
                Headers({"prefer": "eta=1", "content-type": "text/html"}), b'{"key": 5}', 100)

    assert (call.is_object, call.key, call.size, call.decoded) == (True, 5, 10, {"key": 5})
    assert call.path == "/api/v6/images/fetch/12" and call.generation == V6
    assert call.prefer == Prefer(eta=1.0) and call.prefer_text == "eta=1"
    assert call.content_type == ""  # a JSON object is read whatever its type


def test_a_call_that_is_not_an_object_keeps_its_bytes_and_type() -> None:
    call = read("POST", V6, V6, None, {"Content-Type": "Text/HTML; charset=x",
                                       "Prefer": "nothing=1"}, b"[1]", 100)

    assert (call.is_object, call.key, call.decoded, call.body) == (False, None, [1], b"[1]")
    assert call.content_type == "text/html" and call.prefer is NO_PREFER
    assert call.prefer_text is None and call.path == V6


def test_a_body_over_the_limit_is_not_decoded() -> None:
    call = read("POST", V6, V6, None, {}, b'{"key": "k"}', 5)

    assert (call.decoded, call.is_object, call.key, call.size) == (None, False, None, 12)


def test_the_key_is_found_for_scrubbing() -> None:
    assert key_of(b'{"key": "sk-1"}') == "sk-1"
    assert key_of(b"[1]") is None and key_of(b"{") is None


@pytest.mark.parametrize("body", [
    b'{"a": 123456789012345678901234567890}', b'{"a": [{"b": -98765432109876543210}]}',
    b'{"a": 9223372036854775807, "b": -9223372036854775808, "c": 18446744073709551616}',
    b'{"a": NaN, "b": Infinity}', b'{"a": 1e400, "b": -0.0, "c": -0, "d": 1E5, "e": 1e-400}',
    b'{"a": 1, "a": 2}', b'{"a": "\\ud800\\udfff\\ud800"}', b'{"a" : [] } ', b'{"a": 1}x',
    b'{"a": ' + b"[" * 1100 + b"]" * 1100 + b"}", b'{"a": ' + b"[" * 990 + b"]" * 990 + b"}",
])
def test_orjson_decodes_as_json_loads_does_or_leaves_it_to_the_stdlib(body: bytes) -> None:
    """orjson reads integers beyond 64 bits as floats and refuses NaN and deep nesting:
    those bodies must still decode exactly as `json.loads` reads them (types included)."""
    got = decode(body)
    limit = sys.getrecursionlimit()
    # (What json.loads reads with stack enough: at this test's depth it gives up on 990
    # nested lists, which the mock reads whatever its caller's depth. Past orjson's 1,024
    # levels, a body is not JSON to the mock.)
    sys.setrecursionlimit(limit + 2000)
    try:
        try:
            expected = json.loads(body) if body.count(b"[") <= 1024 else None
        except (ValueError, RecursionError):
            expected = None
        assert repr(got) == repr(expected)
    finally:
        sys.setrecursionlimit(limit)


def test_a_plain_mapping_of_headers_marks_the_call_merged_only_when_something_joined() -> None:
    # (The engine's journal keeps the bytes of a call not merged: one object, not the fields.)
    body = b'{"key": "k", "prompt": "p"}'
    plain = read("POST", V6, V6, None, {"Content-Type": "application/json"}, body, 100)
    assert plain.merged is False and plain.decoded == {"key": "k", "prompt": "p"}
    keyed = read("POST", V6, V6, None, {"Key": "h"}, b'{"prompt": "p"}', 100)
    assert keyed.merged is True and keyed.decoded == {"key": "h", "prompt": "p"}
    queried = read("POST", V6, V6, None, {}, b'{"key": "k"}', 100, "width=768")
    assert queried.merged is True and queried.decoded["width"] == "768"


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 990])
def test_a_body_nested_past_the_limit_is_refused_and_the_journal_still_reads(
        store: str, depth: int, tmp_path: Path) -> None:
    """A body 990 lists deep was taken, kept whole by the journal, and every later journal
    read answered 500 (SQLite: the request itself did): redaction walks the body, past
    Python's recursion limit."""
    from mockserver import Engine, MockConfig

    where = "memory" if store == "memory" else f"sqlite:{tmp_path / 'deep.sqlite'}"
    engine = Engine(MockConfig(store=where, error_mode="http"))
    try:
        def sent(levels: int) -> bytes:  # (the object is one level, each list one more)
            lists = b"[" * (levels - 1) + b"]" * (levels - 1)
            return b'{"key": "k", "model_id": "m", "prompt": "p", "x": %s}' % lists

        deep = engine.handle("POST", V6, {"content-type": "application/json"}, sent(depth),
                             "http://x")
        deepest = engine.handle("POST", V6, {"content-type": "application/json"},
                                sent(MAX_BODY_DEPTH), "http://x")
        journal = engine.handle("GET", "/__mock/journal", {}, b"", "http://x")
    finally:
        engine.close()
    assert deep.status == 400, deep.body
    assert f"more than {MAX_BODY_DEPTH} levels" in json.loads(deep.body)["message"]
    assert deepest.status == 200, deepest.body
    assert journal.status == 200 and [e["status"] for e in journal.json()["entries"]][:1] \
        == [400]


def test_a_calls_init_takes_its_fields() -> None:
    assert_init_takes_the_fields(Call, {
        "method": "POST", "template": "/t/{id}", "generation": "/g", "path_id": "7",
        "body": b"{}", "size": 2, "decoded": {}, "is_object": True, "key": "k",
        "prefer": Prefer(status="queued"), "prefer_text": "status=queued",
        "content_type": "application/json", "path": "/t/7", "prefer_refused": "x",
        "merged": True, "too_deep": True})
