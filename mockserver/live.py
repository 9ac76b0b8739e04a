"""`LiveServer`: the mock under uvicorn on 127.0.0.1 and a free port, in a background thread."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import uvicorn

from mockserver._protocol import http_protocol
from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.engine import Engine

#: Seconds to wait for the server to start (it normally takes a few milliseconds).
START_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that says when it listens, with an event instead of a polled flag."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    def install_signal_handlers(self) -> None:  # a thread cannot take signals
        pass


class LiveServer:
    """Serve the mock on a real socket for clients that are not httpx (requests, SDKs, curl).

    Use as a context manager; `.url` is the origin, e.g. "http://127.0.0.1:54321", and
    `.engine` the engine behind it (to configure, reset or read the journal directly).
    """

    def __init__(self, config: MockConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, engine: Engine | None = None) -> None:
        self.host = host
        self.port = port
        self._owned = engine is None
        self.engine = engine or Engine(config)
        self.app = create_app(engine=self.engine)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> LiveServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        config = uvicorn.Config(self.app, log_level="warning", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=2,
                                http=http_protocol())
        self._server = server = _Server(config, ready)

        def run() -> None:
            try:
                server.run(sockets=[sock])
            finally:
                ready.set()
                sock.close()

        self._thread = threading.Thread(target=run, name=f"mock-{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or not server.started:
            self.stop()
            raise RuntimeError(f"the mock did not start on {self.url}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        if self._owned:
            self.engine.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
