"""A loopback forwarder that spends a budget on every request passing through it.

The pytest plugin hands tests a backend URL (`modelslab_server.url`) that any HTTP client can
use, so the budget cannot count those requests in the client. With a budget and a remote
backend, the URL handed out is this forwarder's: each request spends one unit of the budget
(shared by every xdist worker) before it is forwarded, and past the budget it is answered
429 and never sent. Admin calls (`/__mock/`) go to a mock directly and cost nothing.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from contracts.client._budget import Budget, BudgetExhausted

#: Bytes of a request body the forwarder takes (larger ones are answered 413).
METER_BODY_BYTES = 16 * 1024 * 1024
#: Seconds an upstream request may take.
METER_TIMEOUT = 60.0
_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer",
                  "upgrade", "proxy-authorization", "proxy-connection", "content-length",
                  "content-encoding"})


class BudgetMeter:
    """Forwards `http://127.0.0.1:{port}/...` to `upstream` while `budget` allows.

    `keep_host`: pass the client's Host on (a mock then builds its links on the forwarder,
    so fetches and image downloads are counted too); otherwise the upstream's own is sent.
    """

    def __init__(self, upstream: str, budget: Budget, *, keep_host: bool) -> None:
        import httpx

        self.upstream = upstream.rstrip("/")
        self.budget = budget
        self.refused = 0
        self._http = httpx.Client(timeout=METER_TIMEOUT, trust_env=False,
                                  follow_redirects=False)
        meter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                meter.forward(self, keep_host)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="modelslab-budget-meter", daemon=True)
        self._thread.start()

    def forward(self, handler: BaseHTTPRequestHandler, keep_host: bool) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length > METER_BODY_BYTES:
            self._answer(handler, 413, b'{"status":"error","message":"body too large"}', {})
            return
        body = handler.rfile.read(length) if length else b""
        if not handler.path.startswith("/__mock/"):
            try:
                self.budget.spend(1, f"{handler.command} {urlsplit(handler.path).path}")
            except BudgetExhausted as exc:
                self.refused += 1
                message = f'{{"status":"error","message":"{exc}"}}'.encode()
                self._answer(handler, 429, message, {"x-modelslab-budget": "spent"})
                return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        if not keep_host:
            headers.pop("Host", None)
        import httpx

        try:
            answer = self._http.request(handler.command, self.upstream + handler.path,
                                        content=body, headers=headers)
        except httpx.HTTPError as exc:
            self._answer(handler, 502, f'{{"status":"error","message":"{type(exc).__name__}"}}'
                         .encode(), {})
            return
        self._answer(handler, answer.status_code, answer.content,
                     {k: v for k, v in answer.headers.items() if k.lower() not in _HOP})

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes,
                headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        if "content-type" not in {k.lower() for k in headers}:
            handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()
