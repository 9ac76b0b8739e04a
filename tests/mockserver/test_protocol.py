"""The one-write protocol: every response arrives whole, on kept-alive and closed connections."""

from __future__ import annotations

import http.client
import json

import pytest
from PIL import Image

from mockserver import LiveServer, MockConfig
from mockserver._protocol import OneWriteHttpToolsProtocol, http_protocol
from tests.mockserver._support import V6


def test_the_mock_serves_with_it() -> None:
    assert http_protocol() is OneWriteHttpToolsProtocol


@pytest.fixture(scope="module")
def server() -> LiveServer:
    with LiveServer(MockConfig()) as live:
        yield live  # type: ignore[misc]


def _connection(server: LiveServer) -> http.client.HTTPConnection:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=10)


def test_many_answers_on_one_kept_alive_connection(server: LiveServer) -> None:
    conn = _connection(server)
    for i in range(50):
        body = {"key": "k", "model_id": "m", "prompt": f"fox {i}", "seed": i}
        conn.request("POST", V6, json.dumps(body), {"Content-Type": "application/json"})
        answer = conn.getresponse()
        data = json.loads(answer.read())
        assert answer.status == 200 and data["meta"]["seed"] == i
        assert int(answer.headers["content-length"]) > 0
    conn.close()


def test_a_large_body_and_a_closed_connection(server: LiveServer, tmp_path: object) -> None:
    conn = _connection(server)
    conn.request("POST", V6, json.dumps({"key": "k", "model_id": "m", "prompt": "big",
                                         "width": 1024, "height": 1024, "upscale": 3}),
                 {"Content-Type": "application/json"})
    link = json.loads(conn.getresponse().read())["output"][0]
    conn.request("GET", "/" + link.split("/", 3)[3], headers={"Connection": "close"})
    answer = conn.getresponse()
    png = answer.read()
    assert answer.status == 200 and len(png) == int(answer.headers["content-length"])
    import io
    assert Image.open(io.BytesIO(png)).size == (3072, 3072)
    conn.close()
