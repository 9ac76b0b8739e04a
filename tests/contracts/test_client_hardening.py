"""Issue 10, gate side: an overall deadline, bounded reads (a gzip bomb stops at the cap),
replies judged raw (a key equal to a value a reply holds gives no false verdict, and hides no
true one), the key scrubbed only where text is shown (in every encoding), and a redirect
counted as a fault (a wrong base URL), not a violation."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import mockserver
from contracts import rules
from contracts.client import Backoff, Budget, BudgetExhausted, Target
from contracts.gate import GateConfig, run, to_markdown
from contracts.reply import ACCEPTED, FAULT, classify
from contracts.vocabulary import KEY
from tests.contracts import _leaks, _mutants

V6 = "/api/v6/images/text2img"
SECRET = "sk/live\"0123456789"
NO_WAIT = Backoff(base=0.0, cap=0.0, retries=0)


def _body() -> dict[str, Any]:
    return {"key": KEY, "model_id": "m", "prompt": "p"}


class Serve:
    """A loopback HTTP server whose every POST/GET answer is `answer(handler)`."""

    def __init__(self, answer: Any) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                answer(self)

            do_POST = do_GET = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bomb() -> Iterator[Serve]:
    payload = gzip.compress(b" " * (64 << 20), compresslevel=9)  # 64 MiB inflated

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    server = Serve(answer)
    yield server
    server.close()


def test_a_gzip_bomb_stops_at_the_reply_cap(bomb: Serve) -> None:
    with Target(bomb.url, "k", Budget(3), backoff=NO_WAIT) as target:
        reply = target.post(V6, _body())

    assert reply.error is not None and "larger than" in reply.error
    assert classify(reply) == FAULT


def test_a_gzip_reply_within_the_cap_is_read() -> None:
    data = json.dumps({"status": "success", "output": []}).encode()

    def answer(h: BaseHTTPRequestHandler) -> None:
        packed = gzip.compress(data)
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(packed)))
        h.end_headers()
        h.wfile.write(packed)

    server = Serve(answer)
    try:
        with Target(server.url, "k", Budget(3), backoff=NO_WAIT) as target:
            assert target.post(V6, _body()).body == {"status": "success", "output": []}
    finally:
        server.close()


def test_a_trickling_backend_is_cut_off_at_the_request_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            if stop.wait(0.02):
                break
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with Target(url, "k", Budget(3), backoff=Backoff(retries=0, timeout=0.5)) as target:
            reply = target.post(V6, _body())
    finally:
        stop.set()
        listener.close()

    assert reply.status == 0 and reply.error is not None and "deadline" in reply.error


def test_past_the_overall_deadline_nothing_is_sent() -> None:
    from contracts.client._budget import DeadlinePassed

    transport = mockserver.transport()
    with Target("http://mock.invalid", "k", Budget(10, seconds=0.0), backoff=NO_WAIT,
                transport=transport) as target, pytest.raises(DeadlinePassed) as info:
        target.post(V6, _body())
    assert isinstance(info.value, BudgetExhausted) and "deadline" in str(info.value)
    assert transport.engine.journal.entries() == []


def test_the_gate_stops_at_its_deadline() -> None:
    result = run(GateConfig(budget=50, explore=0, deadline=0.0, progress=False))

    assert result.requests == 0


@pytest.mark.parametrize("echo", [
    lambda k: json.dumps({"status": "error", "message": f"bad key {k}"}),
    lambda k: json.dumps({"status": "error", "message": f"bad key {k}"}).replace("/", "\\/"),
    lambda k: '{"status": "error", "message": "bad key ' +
    "".join(f"\\u{ord(c):04x}" for c in k) + '"}',
    lambda k: f"<html>bad key {json.dumps(k)[1:-1]}</html>",
    lambda k: "<html>bad key " + "".join(f"\\u{ord(c):04x}" for c in k) + "</html>",
    lambda k: '{"status": "error", "message": "bad key ' + _leaks.echoes(k)["base64"] + '"}',
    lambda k: "<html>" + " ".join(_leaks.echoes(k).values()) + "</html>",
])
def test_a_reply_is_kept_raw_and_the_key_is_scrubbed_where_it_is_shown(echo: Any) -> None:
    """Judge raw, scrub only output: the reply is exactly what came back (key included), and
    the target's scrubber hides the key in every encoding from whatever shows it."""
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=echo(SECRET).encode(),
                              headers={"x-echo": SECRET})

    with Target("http://x", SECRET, Budget(3), backoff=NO_WAIT,
                transport=httpx.MockTransport(handler)) as target:
        reply = target.post(V6, _body())

    raw = json.dumps([reply.body, reply.text, dict(reply.headers)])
    assert reply.headers["x-echo"] == SECRET and _leaks.revealed(raw, SECRET, "0123456789")
    hide = target.scrubber
    shown = hide(json.dumps([reply.body, reply.text, dict(reply.headers), reply.short()]))
    assert _leaks.revealed(shown, SECRET, "0123456789") == []
    assert SECRET not in repr(hide)


def test_a_short_key_gives_no_false_verdicts() -> None:
    transport = mockserver.transport(mockserver.MockConfig(accepted_keys=frozenset({"s"})))
    with Target("http://mock.invalid", "s", Budget(3), backoff=NO_WAIT,
                transport=transport) as target:
        reply = target.post(V6, _body())

    assert reply.status_field == "success" and classify(reply) == ACCEPTED
    assert reply.body["meta"]["scheduler"] == "UniPCMultistepScheduler"


def test_a_short_key_leaves_headers_and_text_as_they_came() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="missing samples: sent s", headers={
            "content-type": "text/plain; charset=utf-8", "x-reason": "s"})

    with Target("http://x", "s", Budget(3), backoff=NO_WAIT,
                transport=httpx.MockTransport(handler)) as target:
        reply = target.post(V6, _body())

    assert reply.text == "missing samples: sent s"
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.headers["x-reason"] == "s"
    assert target.scrubber(reply.short()) == "HTTP 400 'missing samples: sent <redacted>'"


#: Keys equal to a value the mock's replies legitimately hold: a status ("success",
#: "processing"), a flag echoed in meta ("yes"), a path segment of every output link
#: ("generations"), a letter of nearly every word ("s").
ECHOED_KEYS = ["s", "success", "processing", "yes", "generations"]


@pytest.mark.parametrize("key", ECHOED_KEYS)
def test_a_key_equal_to_an_echoed_value_gives_no_false_violation(key: str) -> None:
    transport = mockserver.transport(mockserver.MockConfig(accepted_keys=frozenset({key})))
    result = run(GateConfig(transport=transport, key=key, progress=False, explore=0,
                            backoff=NO_WAIT, sleep=lambda s: None))

    assert result.violated == [] and sum(len(t.violations) for t in result.tallies.values()) == 0
    assert result.status == "conforms", to_markdown(result)


@pytest.mark.parametrize("rule", [rules.META_ECHO, rules.SEED_ECHO, rules.OUTPUT_COUNT],
                         ids=str)
def test_a_violation_seen_through_a_value_equal_to_the_key_is_still_named(
        rule: rules.Rule) -> None:
    """Judging raw: with the key "success", an accepted answer is still read as accepted, so
    the rules judged on accepted answers still see (and name) a broken one."""
    key = "success"
    mock = mockserver.transport(mockserver.MockConfig(accepted_keys=frozenset({key})))
    result = run(GateConfig(transport=_mutants.mutant(rule, mock), key=key, budget=80,
                            explore=10, progress=False, sleep=lambda s: None))

    assert result.violated == [rule.id], to_markdown(result)


def _redirect(request: httpx.Request) -> httpx.Response:
    return httpx.Response(301, headers={"location": "https://elsewhere.example/"})


def test_a_redirect_is_a_fault_and_not_retried() -> None:
    with Target("http://x", "k", Budget(5), transport=httpx.MockTransport(_redirect),
                backoff=Backoff(base=0.0, cap=0.0)) as target:
        reply = target.post(V6, _body())
        assert target.budget.used == 1

    assert classify(reply) == FAULT and "redirect" in (reply.error or "")


def test_a_redirecting_backend_gives_the_gate_no_violation() -> None:
    result = run(GateConfig(transport=httpx.MockTransport(_redirect), budget=20, explore=0,
                            progress=False, backoff=Backoff(base=0.0, cap=0.0, retries=0)))

    assert result.violated == [] and result.could_not_run
