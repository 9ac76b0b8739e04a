"""One way to drive a mock, wherever it runs: configure it, reset it, read its journal.

`MockControl` is the interface; `mockserver.MockHandle` implements it in process (the mock
implements contracts' protocol, contracts never imports the mock here), `HttpMockControl`
over the `/__mock/` admin API of a mock on a port. `Server` is a backend at a URL with the
control of its mock when it is one: what the pytest plugin's `modelslab_server` hands out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

#: A request to a shared mock is in a namespace (its own jobs, journal view, settings and
#: resets) when it carries this header, or when its path starts with `NAMESPACE_PATH` and the
#: name (`/__ns/{name}/api/...`: any client that takes a base URL can be put in one).
NAMESPACE_HEADER = "x-modelslab-namespace"
NAMESPACE_PATH = "/__ns/"
#: What a namespace name may be.
NAMESPACE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def in_namespace(url: str, name: str) -> str:
    """The base URL that puts every request made under it in namespace `name`."""
    if not NAMESPACE_NAME.match(name):
        raise ValueError(f"a namespace is 1-128 of A-Z a-z 0-9 . _ -, not {name!r}")
    return url.rstrip("/") + NAMESPACE_PATH + name


@runtime_checkable
class MockControl(Protocol):
    """What every handle on a mock offers. Settings go in and come out as JSON values."""

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings until the next reset; returns them all (as JSON)."""
        ...

    def reset(self) -> None:
        """Forget jobs and journal and go back to the starting settings."""
        ...

    @property
    def journal(self) -> list[dict[str, Any]]:
        """What the mock was asked (and the webhooks it sent) since the last reset, keys
        redacted."""
        ...

    @property
    def config(self) -> dict[str, Any]:
        """The current settings as JSON (accepted keys by count only)."""
        ...


class NotAMock(Exception):
    """The backend has no `/__mock/` admin API (a real one): it cannot be configured, reset
    or asked for a journal. (The pytest plugin skips the test.)"""


class MockRefused(ValueError):
    """The mock refused a change (an unknown setting or value); the message is its own."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


class HttpMockControl:
    """`MockControl` over HTTP: the admin API of a modelslab-contract mock at `url`."""

    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        #: The mock's admin token (`mock --admin-token`), sent as a bearer token; never shown.
        self._token = token

    def __repr__(self) -> str:
        return f"<ModelsLab mock control at {self.url}/__mock/>"

    def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        import httpx

        content = None if body is None else json.dumps(dict(body), default=_jsonable)
        with httpx.Client(timeout=self.timeout, trust_env=False) as http:
            headers = {"Content-Type": "application/json"}
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            answer = http.request(method, f"{self.url}/__mock/{path}", content=content,
                                  headers=headers)
        if answer.status_code >= 400:
            try:
                message = answer.json().get("message")
            except ValueError:
                message = None
            raise MockRefused(message or f"{method} /__mock/{path}: HTTP {answer.status_code}")
        return answer.json() if answer.content else None

    def health(self) -> dict[str, Any]:
        """The mock's health answer (`{"status": "ok", "jobs": n, ...}`)."""
        answer: dict[str, Any] = self._admin("GET", "health")
        return answer

    def configure(self, **changes: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._admin("POST", "config", changes)
        return answer

    def reset(self) -> None:
        self._admin("POST", "reset")

    @property
    def journal(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = self._admin("GET", "journal")["entries"]
        return answer

    @property
    def config(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._admin("GET", "config")
        return answer


def probe(url: str, *, timeout: float = 5.0) -> HttpMockControl | None:
    """The control of the mock at `url`, or None when it is no modelslab-contract mock (it
    does not answer `/__mock/health`)."""
    import httpx

    try:
        with httpx.Client(timeout=timeout, trust_env=False) as http:
            answer = http.get(url.rstrip("/") + "/__mock/health")
    except httpx.HTTPError:
        return None
    return HttpMockControl(url) if answer.status_code == 200 else None


class Server:
    """A backend at `.url`; when it is a mock (`.is_mock`), `.configure()`, `.config`,
    `.reset()` and `.journal` drive it through `.control`, else they raise `NotAMock`."""

    def __init__(self, url: str, control: MockControl | None = None, *,
                 engine: Any = None) -> None:
        self.url = url.rstrip("/")
        self.control = control
        #: The mock's engine, when it runs in this process (None otherwise).
        self.engine = engine

    @property
    def is_mock(self) -> bool:
        return self.control is not None

    def __repr__(self) -> str:
        return f"<ModelsLab {'mock' if self.is_mock else 'backend'} at {self.url}>"

    def _mock(self) -> MockControl:
        if self.control is None:
            raise NotAMock(f"{self.url} is not a modelslab-contract mock: it has no /__mock/ "
                           "admin API to configure, reset or read a journal from")
        return self.control

    def configure(self, **changes: Any) -> dict[str, Any]:
        return self._mock().configure(**changes)

    def reset(self) -> None:
        self._mock().reset()

    @property
    def journal(self) -> list[dict[str, Any]]:
        return self._mock().journal

    @property
    def config(self) -> dict[str, Any]:
        return self._mock().config


__all__ = ["NAMESPACE_HEADER", "NAMESPACE_NAME", "NAMESPACE_PATH", "HttpMockControl",
           "MockControl", "MockRefused", "NotAMock", "Server", "in_namespace", "probe"]
