"""LiveServer: the mock on a real loopback port, for clients that are not httpx."""

from __future__ import annotations

import io

import requests
from PIL import Image

from mockserver import LiveServer, MockConfig
from tests.mockserver._support import V6, body


def test_a_requests_client_completes_a_queued_job() -> None:
    with LiveServer(MockConfig(queue="always", eta=0)) as live, requests.Session() as http:
        http.trust_env = False
        assert live.url.startswith("http://127.0.0.1:") and live.port > 0
        queued = http.post(live.url + V6, json=body(width=256, height=256, upscale=2)).json()
        done = http.post(queued["fetch_result"], json={"key": "test-key"}).json()
        image = http.get(done["output"][0])
        health = http.get(live.url + "/__mock/health").json()

    assert queued["fetch_result"].startswith(live.url)
    assert done["status"] == "success" and done["output"] == queued["future_links"]
    assert Image.open(io.BytesIO(image.content)).size == (512, 512)
    assert health["status"] == "ok"


def test_the_server_stops_and_frees_its_port() -> None:
    live = LiveServer().start()
    url = live.url
    live.stop()

    try:
        requests.get(url + "/__mock/health", timeout=2, proxies={"http": ""})
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the server still answers")


def test_two_servers_run_side_by_side() -> None:
    with LiveServer(MockConfig(seed=1)) as one, LiveServer(MockConfig(seed=2)) as two, \
            requests.Session() as http:
        http.trust_env = False
        a = http.post(one.url + V6, json=body()).json()["meta"]["seed"]
        b = http.post(two.url + V6, json=body()).json()["meta"]["seed"]

    assert one.port != two.port and a != b
