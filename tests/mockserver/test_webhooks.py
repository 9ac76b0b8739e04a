"""Webhooks: posted when a job ends, with track_id, to allowed hosts only, off the request path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from mockserver import Engine, MockConfig
from mockserver.webhooks import ThreadedSender, allowed, deliver
from tests.mockserver._support import ORIGIN, V6, Mock, body, make_mock


class Receiver:
    """A loopback HTTP server that records webhook bodies and signals each arrival."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first:
                    receiver.fail_first -= 1
                    self.send_response(500)
                else:
                    receiver.bodies.append(json.loads(data))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if receiver.bodies:
                    receiver.arrived.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self) -> dict[str, Any]:
        assert self.arrived.wait(10), "no webhook arrived"
        return self.bodies[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _post(engine: Engine, fields: dict[str, Any], prefer: str = "") -> dict[str, Any]:
    headers = {"prefer": prefer} if prefer else {}
    result: dict[str, Any] = engine.handle("POST", V6, headers, json.dumps(body(**fields)).encode(),
                                           ORIGIN).json()
    return result


def test_a_finished_job_posts_its_body_and_track_id(receiver: Receiver) -> None:
    engine = Engine(MockConfig())
    try:
        answer = _post(engine, {"webhook": receiver.url, "track_id": 77, "samples": 2})
        hook = receiver.wait()
    finally:
        engine.close()

    assert hook["status"] == "success" and hook["track_id"] == 77
    assert hook["id"] == answer["id"] and hook["output"] == answer["output"]
    delivered = [e for e in engine.journal.entries("webhook") if e["outcome"] == "delivered"]
    assert delivered and delivered[0]["job"] == answer["id"]


def test_a_queued_job_posts_when_due_without_being_fetched(receiver: Receiver) -> None:
    engine = Engine(MockConfig())
    try:
        queued = _post(engine, {"webhook": receiver.url, "track_id": "abc"}, "eta=0.05")
        hook = receiver.wait()
    finally:
        engine.close()

    assert queued["status"] == "processing"
    assert hook["status"] == "success" and hook["track_id"] == "abc"
    assert hook["output"] == queued["future_links"]


def test_a_webhook_is_retried_once(receiver: Receiver) -> None:
    receiver.fail_first = 1
    with httpx.Client(trust_env=False, timeout=2) as client:
        outcome = deliver(client, receiver.url, {"status": "success"})

    assert outcome["outcome"] == "delivered" and outcome["attempts"] == 2
    assert receiver.bodies == [{"status": "success"}]


def test_an_unreachable_webhook_fails_after_one_retry() -> None:
    reports: list[dict[str, Any]] = []
    done = threading.Event()
    sender = ThreadedSender(timeout=1)

    def report(outcome: dict[str, Any]) -> None:
        reports.append(outcome)
        done.set()

    sender.send("http://127.0.0.1:9/hook", {"x": 1}, report)
    assert done.wait(10)
    sender.close()

    assert reports[0]["outcome"] == "failed" and reports[0]["attempts"] == 2


def test_a_webhook_to_another_host_is_refused_and_noted(mock: Mock) -> None:
    answer = mock.generate(webhook="https://example.com/hook")

    assert mock.sender.sent == []
    refused = mock.engine.journal.entries("webhook")
    assert refused[0]["outcome"] == "refused" and refused[0]["job"] == answer["id"]


def test_configured_hosts_are_allowed() -> None:
    mock = make_mock(webhook_hosts=("hooks.internal",))

    mock.generate(webhook="http://hooks.internal:8080/x")

    assert mock.sender.sent[0][0] == "http://hooks.internal:8080/x"


def test_a_queued_job_fires_once_whether_fetch_or_timer_ends_it(mock: Mock) -> None:
    job = mock.generate(headers={"Prefer": "eta=1"}, webhook="http://127.0.0.1/h")["id"]

    assert mock.engine.run_due() == 0 and mock.sender.sent == []
    mock.clock.advance(1)
    mock.post(f"/api/v6/images/fetch/{job}", {"key": "k"})
    assert mock.engine.run_due() == 1

    assert len(mock.sender.sent) == 1
    assert mock.sender.sent[0][1]["id"] == job


def test_the_next_due_time_is_known(mock: Mock) -> None:
    assert mock.engine.next_due() is None
    mock.generate(headers={"Prefer": "eta=3"}, webhook="http://127.0.0.1/h")

    assert mock.engine.next_due() == mock.clock.now + 3


@pytest.mark.parametrize(("url", "ok"), [
    ("http://127.0.0.1:8000/x", True), ("http://localhost/x", True), ("http://[::1]:9/x", True),
    ("https://LOCALHOST/x", True), ("http://example.com/x", False), ("ftp://127.0.0.1/x", False),
    ("http://127.0.0.1.evil.com/x", False), ("not a url", False), ("http://[bad/x", False)])
def test_only_allowed_hosts_pass(url: str, ok: bool) -> None:
    assert allowed(url, ("127.0.0.1", "localhost", "::1")) is ok
