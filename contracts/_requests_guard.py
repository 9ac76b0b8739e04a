"""`modelslab_mock` fails closed for `requests`: while it is active, a `requests` call to a
vendor origin raises (and fails the test at teardown even if the client swallowed it), since
respx mounts the mock for httpx only and the call would otherwise reach the real backend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit


class RealBackendRefused(RuntimeError):
    """A `requests` call to a vendor origin while `modelslab_mock` was active."""


def message(url: str) -> str:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    return (f"a requests call to {origin} would reach the real backend: modelslab_mock mounts "
            "the mock for httpx only. Use the modelslab_server fixture (the mock on a real "
            "loopback port) and point the requests client at modelslab_server.url")


@contextmanager
def refuse_requests(origins: Iterable[str]) -> Iterator[list[str]]:
    """Refuse `requests` calls to `origins`; yields the list of refused URLs."""
    refused: list[str] = []
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:  # requests not installed: nothing to guard
        yield refused
        return
    hosts = {urlsplit(o).hostname for o in origins}
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        if urlsplit(request.url).hostname in hosts:
            refused.append(request.url)
            raise RealBackendRefused(message(request.url))
        return original(self, request, *args, **kwargs)

    HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        HTTPAdapter.send = original  # type: ignore[method-assign]
