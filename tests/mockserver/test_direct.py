"""API POSTs answered straight from the protocol: byte for byte what the ASGI app answers."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from contracts.control import NAMESPACE_HEADER
from mockserver import LiveServer, MockConfig
from mockserver.direct import Answer, Direct, direct_of
from mockserver.request import Headers
from tests.mockserver._support import V6, Wrapped

BODY = json.dumps({"key": "k", "model_id": "m", "prompt": "a fox", "seed": 7,
                   "num_inference_steps": "30", "lora_model": "a,b"}).encode()


class _Counting(Direct):
    answered = 0

    def answer(self, *args: object, **kwargs: object) -> Answer:
        _Counting.answered += 1
        return super().answer(*args, **kwargs)  # type: ignore[arg-type]


def _served(config: MockConfig, *, direct: bool) -> LiveServer:
    live = LiveServer(config)
    live.app.direct = _Counting(live.engine) if direct else None  # type: ignore[attr-defined]
    return live


def _exchange(live: LiveServer, requests: bytes) -> bytes:
    """Send `requests` on one connection; read until the server closes it."""
    port = int(live.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(requests)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return re.sub(rb"date: [^\r]*\r\n", b"", b"".join(chunks))


def _post(body: bytes, headers: bytes = b"", *, close: bool = False) -> bytes:
    return (b"POST %s HTTP/1.1\r\nHost: mock.test\r\nContent-Type: application/json\r\n"
            b"%s%sContent-Length: %d\r\n\r\n%s"
            % (V6.encode(), headers, b"Connection: close\r\n" if close else b"", len(body),
               body))


@pytest.fixture
def pair() -> Iterator[tuple[LiveServer, LiveServer]]:
    _Counting.answered = 0
    with _served(MockConfig(), direct=True) as fast, _served(MockConfig(), direct=False) as asgi:
        yield fast, asgi


def test_the_served_app_has_a_direct_answerer() -> None:
    with LiveServer(MockConfig()) as live:
        assert isinstance(direct_of(live.app), Direct)


@pytest.mark.parametrize("requests", [
    _post(BODY, close=True),
    _post(BODY) + _post(BODY[:-1] + b',"width":"9000"}') + _post(b"{", close=True),
    _post(BODY) + _post(BODY, b"Origin: http://site.test\r\n", close=True),
    _post(BODY, b"Prefer: status=processing\r\n") + _post(b"x" * 100, close=True),
], ids=["one", "pipelined-errors", "direct-then-cors", "queued-then-junk"])
def test_direct_answers_are_the_asgi_answers(pair: tuple[LiveServer, LiveServer],
                                             requests: bytes) -> None:
    fast, asgi = pair
    assert _exchange(fast, requests) == _exchange(asgi, requests)
    assert _Counting.answered >= 1


def test_what_takes_the_asgi_app_does(pair: tuple[LiveServer, LiveServer]) -> None:
    fast, _ = pair
    for headers in (b"Origin: http://site.test\r\n", b"%s: team\r\n" % NAMESPACE_HEADER.encode(),
                    b"X-Forwarded-Proto: https\r\n", b"Expect: 100-continue\r\n"):
        _exchange(fast, _post(BODY, headers, close=True))
    assert _Counting.answered == 0


def test_a_body_over_the_limit_is_413_either_way(pair: tuple[LiveServer, LiveServer]) -> None:
    fast, asgi = pair
    for live in pair:
        live.engine.configure(max_body_bytes=64)
    chunked = (b"POST %s HTTP/1.1\r\nHost: mock.test\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (V6.encode(), len(BODY), BODY))
    answer = _exchange(fast, chunked)
    assert answer.startswith(b"HTTP/1.1 413 ") and answer == _exchange(asgi, chunked)
    assert _Counting.answered == 1


def test_a_simulated_latency_takes_the_asgi_app(pair: tuple[LiveServer, LiveServer]) -> None:
    fast, _ = pair
    fast.engine.configure(latency=50)
    answer = _exchange(fast, _post(BODY, close=True))
    assert answer.startswith(b"HTTP/1.1 200 ") and _Counting.answered == 0
    assert fast.engine.journal.entries("request")[-1]["latency_ms"] >= 50


class _Eager(_Counting):
    """Takes requests even with a latency set (as when it is set after a head came)."""

    def takes(self, path: str, raw: list[tuple[bytes, bytes]]) -> Headers | None:
        delay = self.engine.config.latency
        self.engine.configure(latency=None)
        try:
            return super().takes(path, raw)
        finally:
            self.engine.configure(latency=delay)


def test_a_latency_met_on_the_direct_path_is_waited_and_keeps_the_order() -> None:
    _Counting.answered = 0
    with LiveServer(MockConfig(latency=80)) as live:
        live.app.direct = _Eager(live.engine)  # type: ignore[attr-defined]
        answer = _exchange(live, _post(BODY) + _post(BODY, b"Origin: http://site.test\r\n")
                           + _post(b"{", close=True))
        records = live.engine.journal.entries("request")
    assert _Counting.answered == 1  # the others came while it waited: queued behind it
    assert [r["outcome"] for r in records] == ["success", "success", "validation"]
    heads = [m.start() for m in re.finditer(rb"HTTP/1\.1 ", answer)]
    assert len(heads) == 3 and b"access-control-allow-origin" not in answer[:heads[1]]
    assert b"access-control-allow-origin" in answer[heads[1]:heads[2]]
    assert b"not valid JSON" in answer[heads[2]:]
    assert all(r["latency_ms"] >= 80 for r in records)


@pytest.fixture
def sqlite_pair(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    _Counting.answered = 0
    with _served(MockConfig(store=f"sqlite:{tmp_path / 'a.db'}"), direct=True) as fast, \
            _served(MockConfig(store=f"sqlite:{tmp_path / 'b.db'}"), direct=False) as asgi:
        yield fast, asgi


class _Checking(_Counting):
    """Looks, when each answer is sent, for its job in the store's file (another connection)."""

    stored: ClassVar[list[bool]] = []
    held: ClassVar[list[bool]] = []

    def answer(self, target: str, headers: Headers, body: bytes, scheme: str | None,
               server: tuple[str, int | None] | None,
               later: Callable[[Answer], None]) -> Answer | None:
        from mockserver.sqlite_store import SqliteStore

        def seen(answer: Answer) -> None:
            other = SqliteStore(self.engine.config.store[len("sqlite:"):])
            try:
                job = json.loads(answer[2]).get("id")
                if job is not None:
                    _Checking.stored.append(other.get(int(job), 0.0) is not None)
            finally:
                other.close()
            later(answer)

        now = super().answer(target, headers, body, scheme, server, seen)
        _Checking.held.append(now is None)
        return now


def test_a_shared_store_is_answered_directly_once_committed(
        sqlite_pair: tuple[LiveServer, LiveServer]) -> None:
    """SQLite (shared by workers) on the direct path: the same bytes as the ASGI app, each
    answer sent only once the job it names is committed, and pipelined requests in order."""
    fast, asgi = sqlite_pair
    fast.app.direct = _Checking(fast.engine)  # type: ignore[attr-defined]
    _Checking.stored, _Checking.held = [], []
    requests = (_post(BODY) + _post(BODY, b"Origin: http://site.test\r\n")
                + _post(BODY[:-1] + b',"width":"9000"}') + _post(BODY, close=True))
    answer = _exchange(fast, requests)
    assert answer == _exchange(asgi, requests)
    assert answer.count(b"HTTP/1.1 200 ") == 4 and answer.count(b'"status":"error"') == 1
    assert _Checking.stored == [True] and _Checking.held == [True]  # (the rest queued)
    _exchange(fast, _post(BODY, close=True))
    assert _Checking.stored == [True, True] and _Checking.held == [True, True]
    assert [r["outcome"] for r in fast.engine.journal.entries("request")] == \
        ["success", "success", "validation", "success", "success"]


def _lose_commits(live: LiveServer) -> None:
    """Every commit of the served requests fails from now on (a full disk)."""
    def broken() -> None:
        raise OSError("disk full")

    group = live.engine._group
    group.store = Wrapped(group.store, commit=broken)


def test_a_lost_commit_is_a_server_error_either_way(
        sqlite_pair: tuple[LiveServer, LiveServer]) -> None:
    """A commit that fails (a full disk) answers its requests with the API's own server error,
    on both paths: never a success for a job that was not stored, never uvicorn's text 500."""
    answers = []
    for live in sqlite_pair:
        _lose_commits(live)
        answers.append(_exchange(live, _post(BODY, close=True)))
    assert answers[0] == answers[1] and answers[0].startswith(b"HTTP/1.1 200 ")  # (the API's
    body = json.loads(answers[0].split(b"\r\n\r\n", 1)[1])  # way: an error in a 200)
    assert body == {"status": "error", "message": "Server error, try again later"}
    assert _Counting.answered == 1


def test_a_lost_commit_in_a_namespace_answers_in_its_error_mode(
        sqlite_pair: tuple[LiveServer, LiveServer]) -> None:
    """A namespace's requests take the ASGI app; one whose commit is lost gets the server
    error in the namespace's error mode (it got the shared settings' 200)."""
    config = b'{"error_mode": "http"}'
    for live in sqlite_pair:
        set_up = _exchange(live, b"POST /__mock/config HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nx-modelslab-namespace: t1\r\n"
                        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(config), config))
        assert set_up.startswith(b"HTTP/1.1 200 "), set_up[:200]
        _lose_commits(live)
        answer = _exchange(live, _post(BODY, b"x-modelslab-namespace: t1\r\n", close=True))
        assert answer.startswith(b"HTTP/1.1 500 "), answer[:200]


def test_an_answer_held_for_the_commit_through_a_shutdown_says_it_closes(
        sqlite_pair: tuple[LiveServer, LiveServer], monkeypatch: pytest.MonkeyPatch) -> None:
    """A shutdown that comes while a direct answer waits for its commit (uvicorn clears the
    held cycle's `keep_alive`) closes the connection after it, and the answer says so
    (`connection: close`), as uvicorn's own cycle does for an answer it starts then."""
    from mockserver._protocol import OneWriteHttpToolsProtocol

    reply = OneWriteHttpToolsProtocol._reply

    def shut_first(self: OneWriteHttpToolsProtocol, answer: Answer, target: str,
                   keep_alive: bool, held: object) -> None:
        if held is not None:
            self.shutdown()  # (uvicorn's, on every connection, as the server stops)
        reply(self, answer, target, keep_alive, held)  # type: ignore[arg-type]

    monkeypatch.setattr(OneWriteHttpToolsProtocol, "_reply", shut_first)
    fast, _ = sqlite_pair
    answer = _exchange(fast, _post(BODY))  # (kept alive: read until the server closes)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.count(b"HTTP/1.1") == 1
    assert b"\r\nconnection: close\r\n\r\n" in answer
