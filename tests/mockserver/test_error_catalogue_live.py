"""The error catalogue in http mode, end to end over a real socket (ledger `error-http-codes`,
`error-messages`, `retry-after`, `unknown-model`), plus the transports today's clients use:
a chunked body (the CLI's retries) and a query string with a `key` header."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import spec
from mockserver import LiveServer, MockConfig

BODY = {"key": "k", "model_id": "sdxl", "prompt": "a red fox"}
CATALOGUE = [  # (Prefer error, HTTP status, message) as the catalogue page states them
    ("invalid_key", 401, "Invalid API key"),
    ("no_credits", 402, "Insufficient credits. Please add more credits to continue."),
    ("premium", 403, "This feature requires a premium subscription"),
    ("rate_limit", 429, "Rate limit exceeded. Maximum 5 queued requests allowed."),
    ("server", 500, "Internal server error. Please try again."),
    ("unavailable", 503, "Service temporarily unavailable. Please try again later."),
]


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    config = MockConfig(error_mode="http", models=frozenset(spec.contract().public_models))
    with LiveServer(config) as server:
        yield server


@pytest.mark.parametrize(("name", "status", "message"), CATALOGUE)
def test_each_catalogue_status_travels_with_its_message(live: LiveServer, name: str,
                                                        status: int, message: str) -> None:
    answer = httpx.post(f"{live.url}{spec.V6}", json=BODY, headers={"Prefer": f"error={name}"})

    assert answer.status_code == status
    assert answer.json()["status"] == "error" and answer.json()["message"] == message
    if status == 429:
        assert answer.json()["retry_after"] == int(answer.headers["retry-after"]) >= 0
    else:
        assert "retry-after" not in answer.headers and "retry_after" not in answer.json()


def test_validation_is_400_with_a_plain_message(live: LiveServer) -> None:
    answer = httpx.post(f"{live.url}{spec.V6}", json={"key": "k", "model_id": "sdxl"})

    assert answer.status_code == 400
    assert answer.json() == {"status": "error", "message": "prompt is required"}


def test_an_unknown_job_is_404_and_an_unknown_model_404_with_its_id(live: LiveServer) -> None:
    job = httpx.post(f"{live.url}/api/v7/images/fetch/999999", json={"key": "k"})
    model = httpx.post(f"{live.url}{spec.V7}", json={**BODY, "model_id": "no-such-model"})

    assert job.status_code == 404
    assert model.status_code == 404
    assert model.json() == {"status": "error", "message": "Model not found: no-such-model"}


def test_a_chunked_body_is_read(live: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"key": "k", "prompt": "a red fox",'
        yield b' "width": 256, "height": 256}'

    answer = httpx.post(f"{live.url}{spec.V7}", content=chunks(),
                        headers={"content-type": "application/json"})

    assert answer.status_code == 200 and answer.json()["status"] == "success"


def test_a_query_string_and_a_key_header_make_a_request(live: LiveServer) -> None:
    answer = httpx.post(f"{live.url}{spec.V3}", params={"prompt": "a fox", "width": "256",
                                                       "height": "256"},
                        headers={"key": "k"})
    too_long = httpx.post(f"{live.url}{spec.V3}",
                          params={"prompt": "x" * int(spec.contract().limits["max_query_bytes"])},
                          headers={"key": "k"})

    assert answer.status_code == 200 and answer.json()["meta"]["W"] == 256
    # a query this long makes the request target pass the head's limit: 414 before any reading
    assert too_long.status_code == 414
