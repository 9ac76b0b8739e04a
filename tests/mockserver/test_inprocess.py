"""The httpx adapters: an httpx client completes the flows with no socket opened."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
import respx

from mockserver import MockConfig, respx_routes, transport
from tests.mockserver._support import V6, body

LORAS = {"lora_model": "more_details,add_detail", "lora_strength": "0.45,0.55"}


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.usefixtures("no_sockets")
def test_respx_completes_a_queued_multi_lora_job() -> None:
    with respx.mock(assert_all_called=False) as router:
        handle = respx_routes(router, MockConfig(queue="always", eta=0))
        with httpx.Client() as client:
            queued = client.post(f"https://modelslab.com{V6}", json=body(**LORAS, samples=2))
            done = client.post(queued.json()["fetch_result"], json={"key": "test-key"})
            image = client.get(done.json()["output"][1])

    assert queued.json()["status"] == "processing"
    assert done.json()["status"] == "success"
    assert done.json()["output"] == queued.json()["future_links"]
    assert done.json()["meta"]["lora_strength"] == "0.45,0.55"
    assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    assert [e["outcome"] for e in handle.journal] == ["processing", "success"]
    assert "test-key" not in str(handle.journal)


@pytest.mark.usefixtures("no_sockets")
def test_respx_serves_the_older_domain_and_can_be_controlled() -> None:
    with respx.mock(assert_all_called=False) as router:
        handle = respx_routes(router)
        handle.configure(error_mode="http")
        with httpx.Client() as client:
            refused = client.post(f"https://stablediffusionapi.com{V6}", json=body(key=""))
            handle.reset()
            ok = client.post(f"https://stablediffusionapi.com{V6}", json=body(key=""))

    assert refused.status_code == 401 and ok.status_code == 200
    assert handle.engine.config.error_mode == "legacy"


def test_the_handle_controls_the_mock_with_json() -> None:
    with respx.mock(assert_all_called=False) as router:
        handle = respx_routes(router)
        changed = handle.configure(queue="always", accepted_keys=["sk-1"])

        assert changed == handle.config == handle.engine.config.to_json()
        assert changed["queue"] == "always" and changed["accepted_keys"] == "1 key(s)"
        handle.reset()
        assert handle.config["queue"] == "never" and handle.journal == []


@pytest.mark.usefixtures("no_sockets")
def test_the_transport_works_for_sync_and_async_clients() -> None:
    mock = transport(MockConfig(queue="always", eta=0))

    with httpx.Client(transport=mock, base_url="http://mock") as client:
        queued = client.post(V6, json=body()).json()
        done = client.post(queued["fetch_result"], json={"key": "test-key"}).json()

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=mock, base_url="http://mock") as client:
            answer = await client.post("/api/v6/images/fetch", json={"key": "test-key",
                                                                    "request_id": queued["id"]})
            result: dict[str, Any] = answer.json()
            return result

    again = asyncio.run(run())

    assert done["status"] == again["status"] == "success"
    assert done["output"] == again["output"] == queued["future_links"]
    assert queued["fetch_result"].startswith("http://mock/")
    assert mock.engine.journal.entries()[0]["outcome"] == "processing"
