"""What the engine answers: status, headers, body, and a simulated delay for the adapter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class MockResponse:
    """Adapters wait `delay` seconds (simulated latency), then send the rest as is."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


#: Built once: `json.dumps` with non-default arguments builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dump(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def json_response(status: int, value: Any) -> MockResponse:
    return MockResponse(status, dict(JSON_HEADERS), dump(value))
