"""contracts.reply: one answer model from every kind of response, and the one classifier."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import requests

from contracts import reply as r
from contracts.reply import Reply

BODY = {"status": "success", "output": ["https://x/a.png"]}


def _requests_response(status: int, content: bytes, headers: dict[str, str]) -> Any:
    response = requests.Response()
    response.status_code = status
    response._content = content
    response.headers.update(headers)
    return response


def _schemathesis_response(status: int, content: bytes) -> Any:
    from schemathesis.core.transport import Response

    request = requests.Request("POST", "http://mock/api").prepare()
    return Response(status_code=status, headers={"content-type": ["application/json"],
                                                 "retry-after": ["3", "4"]},
                    content=content, request=request, elapsed=0.0, verify=True)


@pytest.mark.parametrize("make", [
    lambda: httpx.Response(201, json=BODY, headers={"X-Id": "1"}),
    lambda: _requests_response(201, json.dumps(BODY).encode(), {"X-Id": "1"}),
    lambda: Reply(201, {"X-Id": "1"}, BODY),
], ids=["httpx", "requests", "reply"])
def test_responses_give_their_status_headers_and_body(make: Any) -> None:
    reply = Reply.of(make())

    assert (reply.status, reply.body, reply.status_field) == (201, BODY, "success")
    assert {k.lower(): v for k, v in reply.headers.items()}["x-id"] == "1"
    assert Reply.of(make(), 422).status == 422  # an explicit status wins


def test_a_schemathesis_response_keeps_the_first_of_each_header() -> None:
    reply = Reply.of(_schemathesis_response(200, json.dumps(BODY).encode()))

    assert (reply.status, reply.body) == (200, BODY)
    assert reply.headers["retry-after"] == "3"
    assert r.retry_after(reply.headers) == 3.0


@pytest.mark.parametrize(("x", "body", "text"), [
    (json.dumps(BODY).encode(), BODY, ""),
    (json.dumps(BODY), BODY, ""),
    (bytearray(b"[1, 2]"), [1, 2], ""),
    (b"<html>Bad Gateway</html>", None, "<html>Bad Gateway</html>"),
    ("not json" * 100, None, ("not json" * 100)[:r.TEXT_CHARS]),
    (BODY, BODY, ""),
    (None, None, ""),
], ids=["bytes", "str", "bytearray", "html", "long-text", "dict", "none"])
def test_bytes_text_and_values(x: Any, body: Any, text: str) -> None:
    reply = Reply.of(x, headers={"A": "b"})

    assert (reply.status, reply.body, reply.text) == (200, body, text)
    assert dict(reply.headers) == {"A": "b"}


def test_the_old_argument_order_is_refused_loudly() -> None:
    with pytest.raises(TypeError, match="body first"):
        Reply.of(200, BODY)  # type: ignore[arg-type]


def test_short_names_a_missing_answer_or_the_body() -> None:
    assert Reply(0, error="ReadTimeout: slow").short() == "no answer (ReadTimeout: slow)"
    assert Reply.of(b"oops", 502).short() == "HTTP 502 'oops'"
    assert Reply.of({"a": 1}).short() == 'HTTP 200 {"a": 1}'


ERROR = {"status": "error", "message": "Invalid Api Key"}


@pytest.mark.parametrize(("reply", "ours", "expected"), [
    (Reply(0, error="ConnectError"), True, r.FAULT),
    (Reply.of(b"<html>", 502), True, r.FAULT),
    (Reply.of({"status": "error", "message": "Rate limit exceeded"}, 429), True, r.FAULT),
    (Reply.of({"status": "error", "message": "Rate limit exceeded"}), True, r.FAULT),
    (Reply.of({"status": "failed", "message": "Failed, Try Again"}), True, r.FAULT),
    (Reply.of(ERROR), True, r.FAULT),
    (Reply.of(ERROR), False, r.REJECTED),
    (Reply.of({"status": "error", "message": {"samples": ["too many"]}}), True, r.REJECTED),
    (Reply.of({"status": "error", "message": "bad"}, 422), True, r.REJECTED),
    (Reply.of(BODY), True, r.ACCEPTED),
    (Reply.of({"status": "processing", "id": 1}), True, r.ACCEPTED),
    (Reply.of({"status": "success"}, 404), True, r.REJECTED),
    (Reply.of({"hello": "world"}), True, r.UNCLEAR),
])
def test_classify(reply: Reply, ours: bool, expected: str) -> None:
    assert r.classify(reply, key_is_ours=ours) == expected


def test_is_fault_is_about_the_transport_and_status_only() -> None:
    assert r.is_fault(Reply(0, error="x"))
    assert r.is_fault(Reply.of({}, 500)) and r.is_fault(Reply.of({}, 429))
    assert not r.is_fault(Reply.of({"status": "error", "message": "Rate limit exceeded"}))


def test_error_kinds_and_error_looks() -> None:
    assert r.error_kind(Reply.of(ERROR)) == "invalid_key"
    assert r.error_kind(Reply.of({"status": "error"}, 503)) == "server"
    assert r.error_kind(Reply.of({"status": "error", "messege": "Rate limit exceeded"})) \
        == "rate_limit"
    assert r.looks_like_error(Reply.of({"message": "nope"}))
    assert not r.looks_like_error(Reply.of({"message": "x", "output": []}))
    assert r.retry_after({"Retry-After": "soon"}) is None
    assert r.retry_after({}) is None


def test_the_checks_name_the_one_reply_and_classifier() -> None:
    from contracts import checks

    assert checks.Reply is Reply
    # the classifier has one home: the checks' facade does not restate it
    assert not {"classify", "error_kind", "ACCEPTED", "FAULT"} & set(checks.__all__)
