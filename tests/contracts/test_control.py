"""contracts.control: one interface on a mock, over HTTP against a mock on a real port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contracts.control import HttpMockControl, MockControl, MockRefused, NotAMock, Server, probe

mockserver = pytest.importorskip("mockserver")


@pytest.fixture(scope="module")
def live() -> Iterator[Any]:
    with mockserver.LiveServer(mockserver.MockConfig(seed=5)) as server:
        yield server


def _generate(url: str) -> dict[str, Any]:
    body = {"key": "sk-secret-key-1234", "model_id": "m", "prompt": "a fox"}
    answer: dict[str, Any] = httpx.post(url + "/api/v6/images/text2img", json=body).json()
    return answer


def test_http_control_configures_resets_and_reads_the_journal(live: Any) -> None:
    control = HttpMockControl(live.url + "/")
    assert isinstance(control, MockControl)
    control.reset()

    config = control.configure(queue="always", eta=0.2, webhook_hosts=("127.0.0.1",))

    assert isinstance(config, dict) and config["queue"] == "always"
    assert control.config == config and config["webhook_hosts"] == ["127.0.0.1"]
    assert _generate(live.url)["status"] == "processing"
    (entry,) = control.journal
    assert entry["path"] == "/api/v6/images/text2img"
    assert "sk-secret-key-1234" not in repr(entry)
    assert control.health()["status"] == "ok"
    control.reset()
    assert control.journal == [] and control.config["queue"] == "never"
    assert live.url in repr(control)


def test_http_control_refuses_what_the_mock_refuses(live: Any) -> None:
    control = HttpMockControl(live.url)

    with pytest.raises(MockRefused, match="queue must be one of"):
        control.configure(queue="sometimes")
    with pytest.raises(ValueError, match="unknown setting"):
        control.configure(colour="red")


def test_probe_finds_a_mock_and_nothing_else(live: Any) -> None:
    found = probe(live.url)

    assert isinstance(found, HttpMockControl) and found.url == live.url
    assert probe("http://127.0.0.1:9") is None  # the discard port: refused


def test_a_server_drives_its_mock_or_says_it_has_none(live: Any) -> None:
    mock = Server(live.url, HttpMockControl(live.url))
    real = Server("https://modelslab.com/")

    assert mock.is_mock and not real.is_mock and real.url == "https://modelslab.com"
    mock.reset()
    assert mock.configure(eta=1.5)["eta"] == 1.5 and mock.config["eta"] == 1.5
    assert mock.journal == []
    mock.reset()
    for use in (real.reset, lambda: real.journal, lambda: real.config, real.configure):
        with pytest.raises(NotAMock, match="is not a modelslab-contract mock"):
            use()
    assert repr(real) == "<ModelsLab backend at https://modelslab.com>"
