"""The ASGI adapter: CORS for browser apps, the size limit while reading, origins, latency."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

import spec
from mockserver import LiveServer, MockConfig, create_app
from tests.mockserver._support import V6, body


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    live.engine.reset()
    with httpx.Client(base_url=live.url, trust_env=False, timeout=10) as c:
        yield c


def test_a_cors_preflight_from_another_port_is_allowed(client: httpx.Client) -> None:
    answer = client.options(V6, headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, prefer"})

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in client.post(V6, json=body(), headers={
        "Origin": "http://localhost:5173"}).headers["access-control-expose-headers"].lower()
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "prefer" in answer.headers["access-control-allow-headers"].lower()


def test_answers_carry_cors_headers(client: httpx.Client) -> None:
    answer = client.post(V6, json=body(), headers={"Origin": "http://localhost:5173"})

    assert answer.headers["access-control-allow-origin"] == "*"


def test_links_use_the_request_origin_and_serve_images(live: LiveServer,
                                                       client: httpx.Client) -> None:
    answer = client.post(V6, json=body(samples=2)).json()
    named = client.post(V6, json=body(), headers={"Host": "mock.local:4010"}).json()

    assert answer["output"][0].startswith(f"{live.url}/generations/")
    assert named["output"][0].startswith("http://mock.local:4010/generations/")
    image = client.get(answer["output"][1])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_a_declared_oversized_body_is_413(client: httpx.Client) -> None:
    limit = spec.contract().limits["max_body_bytes"]

    answer = client.post(V6, content=b"{" + b" " * limit + b"}",
                         headers={"content-type": "application/json"})

    assert answer.status_code == 413 and answer.json()["status"] == "error"


def test_a_streamed_oversized_body_is_413(client: httpx.Client) -> None:
    limit = spec.contract().limits["max_body_bytes"]

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    answer = client.post(V6, content=chunks(), headers={"content-type": "application/json"})

    assert answer.status_code == 413


def test_invalid_json_is_an_error_body_not_a_crash(client: httpx.Client) -> None:
    answer = client.post(V6, content=b"{not json", headers={"content-type": "application/json"})

    assert answer.status_code == 200 and answer.json()["status"] == "error"


def test_unknown_paths_are_404_with_the_error_shape(client: httpx.Client) -> None:
    answer = client.get("/nope")

    assert answer.status_code == 404 and answer.json()["status"] == "error"


def test_latency_is_waited_for(live: LiveServer, client: httpx.Client) -> None:
    live.engine.configure(latency=60)

    started = time.perf_counter()
    client.post(V6, json=body())

    assert time.perf_counter() - started >= 0.06


def test_the_app_exposes_its_engine() -> None:
    app = create_app(MockConfig(seed=5))

    assert app.state.engine.config.seed == 5


@pytest.mark.parametrize("declared", ["\u00b2", "1\u00b3"])
def test_a_content_length_of_other_digits_is_read_as_no_length(declared: str) -> None:
    """`str.isdigit` takes "²" (a header is read as Latin-1), which `int` refuses: the
    in-process app raised. The body is read as sent, and answered as any other."""
    import asyncio
    import json

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(MockConfig())),
                                     base_url="http://mock.test") as client:
            return await client.post(V6, content=json.dumps(body()).encode(), headers=[
                (b"content-type", b"application/json"),
                (b"content-length", declared.encode("latin-1"))])

    answer = asyncio.run(post())
    assert answer.status_code == 200 and answer.json()["status"] == "success", answer.text


def test_an_app_whose_lifespan_runs_again_answers_as_a_restarted_mock() -> None:
    """A test client entered twice (schemathesis does it once per session it starts) runs the
    lifespan again: its shutdown closed the engine, and the next requests raised (a closed
    engine refuses them) instead of being answered as a restarted mock's."""
    import asyncio

    app = create_app(MockConfig(seed=3))

    async def twice() -> list[str]:
        statuses = []
        for _ in range(2):
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport,
                                             base_url="http://mock.test") as client:
                    answer = await client.post(V6, json=body())
                    statuses.append(answer.json()["status"])
        return statuses

    try:
        assert asyncio.run(twice()) == ["success", "success"]
    finally:
        app.state.engine.close()
