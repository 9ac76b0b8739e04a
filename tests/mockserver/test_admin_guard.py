"""Issue 10, High 4: a foreign web page cannot steer or read the admin API (cross-site
posts, preflights, DNS rebinding), the API endpoints keep their open CORS, and a team mock
can be shared with `--allow-host` and `--admin-token`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from mockserver import LiveServer, MockConfig
from mockserver.app import create_app
from mockserver.engine import Engine
from tests.mockserver._support import V6

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(MockConfig()) as live:
        yield live


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as client:
        client.post("/__mock/reset", headers={"content-type": "application/json"})
        yield client


def test_a_cross_site_text_plain_post_cannot_change_the_config(http: httpx.Client) -> None:
    answer = http.post("/__mock/config", content='{"webhook_hosts": ["169.254.169.254"]}',
                       headers={"content-type": "text/plain", "origin": EVIL})

    assert answer.status_code == 403
    assert "169.254.169.254" not in http.get("/__mock/config").json()["webhook_hosts"]


def test_a_same_site_text_plain_post_is_refused_too(http: httpx.Client) -> None:
    answer = http.post("/__mock/config", content='{"queue": "always"}',
                       headers={"content-type": "text/plain"})

    assert answer.status_code == 415
    assert http.get("/__mock/config").json()["queue"] == "never"


def test_a_form_post_cannot_reset(http: httpx.Client) -> None:
    http.post(V6, json={"key": "k", "model_id": "m", "prompt": "p"})
    answer = http.post("/__mock/reset", content=b"a=1",
                       headers={"content-type": "application/x-www-form-urlencoded"})

    assert answer.status_code == 415 and http.get("/__mock/health").json()["jobs"] == 1


def test_an_admin_preflight_gets_no_open_cors(http: httpx.Client) -> None:
    answer = http.options("/__mock/config", headers={
        "origin": EVIL, "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type"})

    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers


def test_a_cross_site_read_of_the_journal_is_refused(http: httpx.Client) -> None:
    answer = http.get("/__mock/journal", headers={"origin": EVIL})

    assert answer.status_code == 403 and "entries" not in answer.text
    assert "access-control-allow-origin" not in answer.headers


def test_sec_fetch_site_cross_site_is_refused(http: httpx.Client) -> None:
    assert http.get("/__mock/journal", headers={"sec-fetch-site": "cross-site"}
                    ).status_code == 403


def test_a_rebound_host_name_is_refused(http: httpx.Client, server: LiveServer) -> None:
    # DNS rebinding: the page's own name now resolves to 127.0.0.1, so the browser sends
    # it as Host (and as Origin, or none at all).
    for origin in ({}, {"origin": f"http://evil.example:{server.port}"}):
        answer = http.put("/__mock/config", json={"queue": "always"},
                          headers={"host": f"evil.example:{server.port}", **origin})
        assert answer.status_code == 403
        assert http.get("/__mock/journal",
                        headers={"host": f"evil.example:{server.port}"}).status_code == 403
    assert http.get("/__mock/config").json()["queue"] == "never"


def test_the_api_keeps_its_open_cors(http: httpx.Client) -> None:
    preflight = http.options(V6, headers={"origin": EVIL,
                                          "access-control-request-method": "POST",
                                          "access-control-request-headers": "content-type"})
    answer = http.post(V6, json={"key": "k", "model_id": "m", "prompt": "p"},
                       headers={"origin": EVIL})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"


def test_local_tools_keep_working(http: httpx.Client, server: LiveServer) -> None:
    assert http.put("/__mock/config", json={"queue": "always"}).status_code == 200
    assert http.get("/__mock/journal", headers={"host": f"localhost:{server.port}"}
                    ).status_code == 200
    assert http.get("/__mock/health", headers={"origin": server.url}).status_code == 200


def test_a_shared_team_mock_with_allowed_hosts_and_a_token() -> None:
    from mockserver.admin_guard import AdminGuard

    engine = Engine(MockConfig())
    app = create_app(engine=engine, guard=AdminGuard.of(["mock.team.lan"], "s3cret-token"))
    transport = httpx.ASGITransport(app=app)

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=transport,
                                     base_url="http://mock.team.lan:4010") as client:
            write = {"content-type": "application/json"}
            return [
                (await client.get("/__mock/health")).status_code,
                (await client.get("/__mock/journal")).status_code,
                (await client.put("/__mock/config", content=json.dumps({"eta": 1}),
                                  headers={**write, "authorization": "Bearer wrong"})
                 ).status_code,
                (await client.put("/__mock/config", content=json.dumps({"eta": 1}),
                                  headers={**write, "authorization": "Bearer s3cret-token"})
                 ).status_code,
                (await client.get("/__mock/journal", headers={"host": "other.lan"})
                 ).status_code,
            ]

    import asyncio

    try:
        assert asyncio.run(run()) == [200, 401, 401, 200, 403]
    finally:
        engine.close()


@pytest.mark.parametrize(("text", "host"), [
    ("127.0.0.1:4010", "127.0.0.1"), ("[::1]:4010", "::1"), ("LOCALHOST", "localhost"),
    ("http://evil.example:80", "evil.example"), ("localhost.", "localhost"), ("", "")])
def test_host_names_are_read_from_hosts_and_origins(text: str, host: str) -> None:
    from mockserver.admin_guard import host_name

    assert host_name(text) == host


def test_the_cli_documents_the_switches() -> None:
    from contracts.cli import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["mock"].format_help()
    assert "--allow-host" in help_text and "--admin-token" in help_text


def test_the_http_control_sends_the_token() -> None:
    from contracts.control import HttpMockControl, MockRefused
    from mockserver.admin_guard import AdminGuard

    live = LiveServer(MockConfig())
    live.app = create_app(engine=live.engine, guard=AdminGuard.of(token="team-token-1"))
    with live:
        with pytest.raises(MockRefused):
            HttpMockControl(live.url).configure(queue="always")
        control = HttpMockControl(live.url, token="team-token-1")
        assert control.configure(queue="always")["queue"] == "always"
        assert "team-token-1" not in repr(control)
