"""What the plugin's pytester tests share: a strict throwaway project, the checks loaded first,
and a loopback origin that is no mock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every throwaway project is strict, and no key leaks in from the real environment.

    In-process runs find the project's packages already imported, and may see the outer
    run's garbage collected: hence the two ignores (the second is the project's own too)."""
    pytester.makeini("""
        [pytest]
        addopts = --strict-markers -p no:cacheprovider
        filterwarnings =
            error
            ignore::pytest.PytestAssertRewriteWarning
            ignore::pytest.PytestUnraisableExceptionWarning
    """)
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)


@pytest.fixture(scope="module", autouse=True)
def _checks_loaded() -> None:
    """Load the checks (and openapi-core's schemas) in this process first: an in-process
    pytester run drops the modules it imported when it ends, and a second copy of yaml's
    loaders then fails to read openapi-core's own schema."""
    from contracts.checker import ContractChecker

    ContractChecker().failures({"key": "k", "model_id": "m", "prompt": "p"},
                               {"status": "success", "output": []})


@contextmanager
def no_mock_origin() -> Iterator[str]:
    """A loopback origin that is no mock: 404 for everything, `/__mock/health` included."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
