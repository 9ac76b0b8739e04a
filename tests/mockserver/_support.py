"""Helpers for the mock's tests: an engine on a fake clock with a recording webhook sender."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from mockserver import Engine, MockConfig, MockResponse

ORIGIN = "http://mock.test"
V6 = "/api/v6/images/text2img"
V4 = "/api/v4/dreambooth"


class FakeClock:
    """Seconds that only move when a test says so."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSender:
    """A webhook sender that records instead of posting, and reports a delivery."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, url: str, payload: dict[str, Any], report: Any) -> None:
        self.sent.append((url, payload))
        report({"kind": "webhook", "url": url, "outcome": "delivered", "attempts": 1})

    def close(self) -> None:
        pass


def assert_init_takes_the_fields(cls: type, values: Mapping[str, Any]) -> None:
    """A dataclass whose `__init__` is written out (compiled, the one dataclasses generates
    stays interpreted: setup.py) takes each field by name and in order, and leaves each
    default as its field says. `values`: one per field, each told apart from the others."""
    fields = dataclasses.fields(cls)
    assert list(values) == [f.name for f in fields]
    by_name, in_order = cls(**values), cls(*values.values())
    for f in fields:
        assert getattr(by_name, f.name) == values[f.name] == getattr(in_order, f.name), f.name
    missing = dataclasses.MISSING
    required = [values[f.name] for f in fields
                if f.default is missing and f.default_factory is missing]
    defaults = cls(*required)
    for f in fields[len(required):]:
        assert getattr(defaults, f.name) == f.default, f.name


class Wrapped:
    """Another object with some of its methods replaced (`Wrapped(store, put=boom)`): how a
    test injects a fault or a spy into the engine. The engine's own classes are compiled
    (setup.py), and a compiled class's methods cannot be patched on it or its instances."""

    def __init__(self, inner: Any, **methods: Any) -> None:
        self._inner = inner
        self.__dict__.update(methods)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __len__(self) -> int:
        return len(self._inner)


class Mock:
    """An engine plus helpers to call it like a client would."""

    def __init__(self, engine: Engine, clock: FakeClock, sender: RecordingSender) -> None:
        self.engine = engine
        self.clock = clock
        self.sender = sender

    def post(self, path: str, body: Any, headers: Mapping[str, str] | None = None,
             ) -> MockResponse:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.engine.handle("POST", path, {"content-type": "application/json",
                                                 **(headers or {})}, raw, ORIGIN)

    def get(self, url_or_path: str) -> MockResponse:
        path = url_or_path.removeprefix(ORIGIN)
        return self.engine.handle("GET", path, {}, b"", ORIGIN)

    def generate(self, path: str = V6, /, headers: Mapping[str, str] | None = None,
                 **fields: Any) -> dict[str, Any]:
        response = self.post(path, body(**fields), headers)
        assert response.status == 200, response.body
        result: dict[str, Any] = response.json()
        return result


def body(**fields: Any) -> dict[str, Any]:
    """A valid generation body with `fields` on top."""
    out: dict[str, Any] = {"key": "test-key", "model_id": "sdxl", "prompt": "a red fox"}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def make_mock(config: MockConfig | None = None, **changes: Any) -> Mock:
    clock = FakeClock()
    sender = RecordingSender()
    engine = Engine((config or MockConfig()).replace(**changes), clock=clock, webhooks=sender)
    return Mock(engine, clock, sender)
