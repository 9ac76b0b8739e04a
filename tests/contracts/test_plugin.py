"""The pytest plugin, run on throwaway projects with pytester: each fixture, the marker, the
options, and what a failing contract check says."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest

from tests.contracts import _leaks
from tests.contracts._pytester import _checks_loaded, _project, no_mock_origin

pytest_plugins = ["pytester"]
__all__ = ["_checks_loaded", "_project"]  # autouse fixtures, shared

SECRET = "sk-live-0123456789abcdef"
HEAVY = ("httpx", "respx", "starlette", "uvicorn", "mockserver", "openapi_core", "hypothesis",
         "PIL", "asyncio")


@pytest.fixture
def backend() -> Iterator[Any]:
    """Another backend: a mock on its own port, as a real origin would be."""
    from mockserver import LiveServer, MockConfig

    with LiveServer(MockConfig(seed=3)) as live:
        yield live


def _journal(live: Any) -> list[dict[str, Any]]:
    import httpx

    answer = httpx.get(f"{live.url}/__mock/journal")
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def _body(**fields: Any) -> str:
    return repr({"key": "test-key", "model_id": "midjourney", "prompt": "a red fox", **fields})


# -- options, marker, header -------------------------------------------------------------------

def test_the_options_are_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")

    result.stdout.re_match_lines([r"ModelsLab contract and mock:",
                                  r"\s+--modelslab-base-url=.*",
                                  r"\s+--modelslab-key-env=.*",
                                  r"\s+--modelslab-budget=.*",
                                  r"\s+--modelslab-seed=.*"], consecutive=False)


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.modelslab(**settings): per-test mock settings*"])


def test_the_header_names_the_target_but_never_the_key(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    pytester.makepyfile("def test_nothing(): pass")

    default = pytester.runpytest()
    remote = pytester.runpytest("--modelslab-base-url=https://modelslab.com/",
                                "--modelslab-budget=5")

    default.stdout.fnmatch_lines(["modelslab: target the mock (seed 0)"])
    remote.stdout.fnmatch_lines(["modelslab: target https://modelslab.com "
                                 "(key from $MODELSLAB_API_KEY: set; budget 5)"])
    assert SECRET not in remote.stdout.str()


def test_a_failing_test_never_shows_the_key_in_any_encoding(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures hand tests raw replies; the plugin scrubs the key (of
    --modelslab-key-env) from every failure it reports: the traceback, the captured output,
    the JUnit file."""
    monkeypatch.setenv("MODELSLAB_API_KEY", _leaks.KEY)
    pytester.makepyfile("""
        import base64, os

        def test_shows_the_key():
            key = os.environ["MODELSLAB_API_KEY"]
            print("captured", key, base64.b64encode(key.encode()).decode())
            assert {"echo": key, "again": base64.b64encode(key.encode()).decode()} == {}
    """)

    result = pytester.runpytest("-rA", "--junitxml=out.xml")

    result.assert_outcomes(failed=1)
    text = result.stdout.str() + result.stderr.str() + (pytester.path / "out.xml").read_text()
    assert "captured <redacted> <redacted>" in text and "'echo': '<redacted>'" in text
    assert _leaks.revealed(text) == []


@pytest.mark.parametrize(("args", "error"), [
    (["--modelslab-budget=-1"], "--modelslab-budget must be 0 or more"),
    (["--modelslab-base-url=modelslab.com"], "--modelslab-base-url must be an http(s) URL*"),
])
def test_bad_options_are_usage_errors(pytester: pytest.Pytester, args: list[str],
                                      error: str) -> None:
    result = pytester.runpytest(*args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{error}"])


# -- modelslab_mock --------------------------------------------------------------------------

def test_modelslab_mock_answers_httpx_with_no_socket(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import httpx

        def test_success(modelslab_mock):
            answer = httpx.post("https://modelslab.com/api/v6/images/text2img",
                                json={_body(samples=2)})
            assert answer.json()["status"] == "success"
            assert len(answer.json()["output"]) == 2
            (entry,) = modelslab_mock.journal
            assert entry["path"] == "/api/v6/images/text2img"

        def test_older_origin_and_controls(modelslab_mock):
            assert modelslab_mock.journal == []  # a fresh mock for every test
            modelslab_mock.configure(queue="always")
            answer = httpx.post("https://stablediffusionapi.com/api/v6/images/text2img",
                                json={_body()})
            assert answer.json()["status"] == "processing"
            modelslab_mock.reset()
            assert modelslab_mock.journal == []

        def test_async_clients_too(modelslab_mock):
            import asyncio

            async def generate():
                async with httpx.AsyncClient(base_url="https://modelslab.com") as client:
                    return await client.post("/api/v6/images/text2img", json={_body()})

            assert asyncio.run(generate()).json()["status"] == "success"

        def test_other_hosts_pass_through(modelslab_mock):
            import pytest
            with pytest.raises(httpx.ConnectError):
                httpx.get("http://127.0.0.1:9/")  # discard port: refused, not mocked
    """)

    pytester.runpytest().assert_outcomes(passed=4)


def test_the_marker_sets_the_mock_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import httpx, pytest

        URL = "https://modelslab.com/api/v6/images/text2img"

        pytestmark = pytest.mark.modelslab(eta=0.5)

        @pytest.mark.modelslab(queue="always", eta=0.1, quirks=False, seed=9)
        def test_queued(modelslab_mock):
            body = httpx.post(URL, json={_body()}).json()
            assert body["status"] == "processing"
            config = modelslab_mock.engine.config
            assert (config.eta, config.quirks, config.seed) == (0.1, False, 9)

        def test_module_marker_only(modelslab_mock):
            assert modelslab_mock.engine.config.eta == 0.5
            assert httpx.post(URL, json={_body()}).json()["status"] == "success"

        @pytest.mark.modelslab(error_mode="http", latency=0)
        def test_http_errors(modelslab_mock):
            assert httpx.post(URL, json={_body(samples=9)}).status_code == 400
    """)

    pytester.runpytest().assert_outcomes(passed=3)


def test_the_marker_refuses_unknown_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.modelslab(colour="red")
        def test_mock(modelslab_mock):
            pass

        @pytest.mark.modelslab(queue="sometimes")
        def test_server(modelslab_server):
            pass

        @pytest.mark.modelslab("always")
        def test_positional(modelslab_mock):
            pass
    """)

    result = pytester.runpytest()

    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*@pytest.mark.modelslab: unknown setting(s): colour*",
                                 "*@pytest.mark.modelslab:*queue must be one of*",
                                 "*takes keyword settings only*"], consecutive=False)


def test_the_mock_config_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest

        @pytest.fixture
        def modelslab_mock_config(modelslab_mock_config):
            return modelslab_mock_config.replace(error_mode="http", accepted_keys=["good"])
    """)
    pytester.makepyfile(f"""
        import httpx

        def test_refused(modelslab_mock):
            answer = httpx.post("https://modelslab.com/api/v6/images/text2img",
                                json={_body()})
            assert answer.status_code == 401
    """)

    pytester.runpytest().assert_outcomes(passed=1)


# -- modelslab_server --------------------------------------------------------------------------

def test_modelslab_server_is_one_server_reset_for_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import json, urllib.request, pytest

        def post(url, body):
            request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                             headers={{"Content-Type": "application/json"}})
            with urllib.request.urlopen(request) as answer:
                return json.load(answer)

        URLS = []

        @pytest.mark.modelslab(queue="always", eta=0.1)
        def test_first(modelslab_server):
            URLS.append(modelslab_server.url)
            assert modelslab_server.url.startswith("http://127.0.0.1:")
            body = post(modelslab_server.url + "/api/v6/images/text2img", {_body()})
            assert body["status"] == "processing"
            assert len(modelslab_server.journal) == 1

        def test_second(modelslab_server):
            assert modelslab_server.url == URLS[0]  # the same session server...
            assert modelslab_server.journal == []  # ...reset, and the marker's settings gone
            assert modelslab_server.config["queue"] == "never"
            body = post(modelslab_server.url + "/api/v6/images/text2img", {_body()})
            assert body["status"] == "success"
    """)

    pytester.runpytest().assert_outcomes(passed=2)


def test_the_server_config_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def modelslab_server_config(modelslab_server_config):
            return modelslab_server_config.replace(error_mode="http", accepted_keys=["good"])
    """)
    pytester.makepyfile("""
        def test_target_uses_an_accepted_key(modelslab_target):
            with modelslab_target.client() as client:
                answer = client.post("/api/v6/images/text2img", json=modelslab_target.body())
            assert answer.status_code == 200, answer.text
            assert modelslab_target.key == "good"

        def test_other_keys_are_refused(modelslab_target):
            body = modelslab_target.body(key="bad")
            with modelslab_target.client() as client:
                assert client.post("/api/v6/images/text2img", json=body).status_code == 401
    """)

    pytester.runpytest().assert_outcomes(passed=2)


# -- modelslab_contract -------------------------------------------------------------------------

def test_a_conforming_exchange_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import httpx

        def test_check(modelslab_mock, modelslab_contract):
            body = {_body(samples=3, lora_model="a,b", lora_strength="0.5,0.7")}
            answer = httpx.post("https://modelslab.com/api/v6/images/text2img", json=body)
            modelslab_contract.check(body, answer.json())
            modelslab_contract.check(body, answer)  # a response object works too

        def test_errors_conform_too(modelslab_mock, modelslab_contract):
            body = {_body(width=2000)}
            answer = httpx.post("https://modelslab.com/api/v4/dreambooth", json=body)
            modelslab_contract.check(body, answer, endpoint="/api/v4/dreambooth")
    """)

    pytester.runpytest().assert_outcomes(passed=2)


def test_a_failing_check_names_the_rule_the_field_and_the_payload(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", SECRET)
    pytester.makepyfile(f"""
        import os, httpx

        def test_check(modelslab_mock, modelslab_contract):
            body = {_body(samples=2)}
            body["key"] = os.environ["MY_KEY"]
            answer = httpx.post("https://modelslab.com/api/v6/images/text2img", json=body)
            doctored = answer.json()
            doctored["output"] = doctored["output"][:1]  # one link for two samples
            modelslab_contract.check(body, doctored)
    """)

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E*AssertionError: ModelsLab contract violated (*output.count*) by POST "
        "/api/v6/images/text2img:",
        "E*[[]output.count[]] (samples)*",
        'E*request:  {"key": "<redacted>", "model_id": "midjourney", "prompt": "a red fox", '
        '"samples": 2}',
        'E*response: HTTP 200 {"status": "success"*',
    ], consecutive=False)
    assert SECRET not in result.stdout.str()


def test_follow_checks_a_queued_job_through_fetch(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import httpx, pytest

        @pytest.mark.modelslab(queue="always", eta=0.1)
        def test_follow(modelslab_mock, modelslab_contract):
            body = {_body(samples=2)}
            job = httpx.post("https://modelslab.com/api/v6/images/text2img", json=body)
            final = modelslab_contract.follow(body, job)
            assert final["status"] == "success"
            assert final["output"] == job.json()["future_links"]
            fetches = [e for e in modelslab_mock.journal if "fetch" in e["path"]]
            assert fetches

        @pytest.mark.modelslab(queue="always", eta=0.1)
        def test_follow_on_a_real_port(modelslab_server, modelslab_contract):
            body = {_body()}
            job = httpx.post(modelslab_server.url + "/api/v4/dreambooth", json=body)
            final = modelslab_contract.follow(body, job, endpoint="/api/v4/dreambooth")
            assert final["status"] == "success"

        @pytest.mark.modelslab(queue="always", eta=60)
        def test_follow_gives_up(modelslab_mock, modelslab_contract):
            body = {_body()}
            job = httpx.post("https://modelslab.com/api/v6/images/text2img", json=body)
            modelslab_contract.follow(body, job, timeout=0.3, interval=0.1)
    """)

    result = pytester.runpytest()

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["E*[[]processing.fetch[]] (status)*",
                                 "E*still processing after 0.3 s"], consecutive=False)


# -- modelslab_target and the options ----------------------------------------------------------

def test_modelslab_target_is_the_mock_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        def test_target(modelslab_target, modelslab_server):
            assert modelslab_target.is_mock
            assert modelslab_target.base_url == modelslab_server.url
            assert modelslab_target.key not in repr(modelslab_target)
            with modelslab_target.client() as client:
                answer = client.post("/api/v6/images/text2img", json=modelslab_target.body())
            assert answer.json()["status"] == "success"

        @pytest.mark.modelslab(accepted_keys=["marker-key"])
        def test_target_follows_the_accepted_keys(modelslab_target):
            assert modelslab_target.key == "marker-key"
            with modelslab_target.client() as client:
                answer = client.post("/api/v6/images/text2img", json=modelslab_target.body())
            assert answer.json()["status"] == "success"
    """)

    pytester.runpytest().assert_outcomes(passed=2)


EXAMPLE = """
    import httpx, pytest

    def test_server(modelslab_server):
        print("server at", modelslab_server.url)

    def test_mock(modelslab_mock):
        pass

    def test_key_stays_hidden(modelslab_target, modelslab_contract):
        body = modelslab_target.body(samples=1)
        modelslab_contract.check(body, {"status": "success", "output": []})

    @pytest.mark.modelslab(queue="always", eta=0.1)
    def test_generate(modelslab_target, modelslab_contract):
        body = modelslab_target.body("a red fox", samples=2)
        with modelslab_target.client() as client:
            job = client.post("/api/v6/images/text2img", json=body)
        final = modelslab_contract.follow(body, job)
        assert final["status"] == "success"
        print("ran against", modelslab_target.base_url, "mock:", modelslab_target.is_mock)
"""


def test_a_base_url_runs_the_same_tests_against_another_backend(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backend: Any) -> None:
    monkeypatch.setenv("OTHER_KEY", SECRET)
    pytester.makepyfile(EXAMPLE)

    local = pytester.runpytest("-s", "-rs")
    remote = pytester.runpytest("-s", "-rs", f"--modelslab-base-url={backend.url}",
                                "--modelslab-key-env=OTHER_KEY")

    local.assert_outcomes(passed=3, failed=1)
    assert backend.url not in local.stdout.str()
    remote.assert_outcomes(passed=2, failed=1, skipped=1)
    # On a mock given by base URL, each test has its own namespace there (issue 11).
    remote.stdout.fnmatch_lines([f"*server at {backend.url}/__ns/pytest-*",
                                 f"*ran against {backend.url}/__ns/pytest-* mock: True",
                                 "SKIPPED*modelslab_mock intercepts httpx in process and "
                                 "cannot redirect*"], consecutive=False)
    sent = [e for e in _journal(backend) if e["kind"] == "request"]  # test_generate's
    assert sent[0]["path"] == "/api/v6/images/text2img"
    assert sent[0]["outcome"] == "processing"  # the marker reached the other mock...
    assert sent[-1]["outcome"] == "success"  # ...and the job was fetched to its end there
    assert SECRET not in remote.stdout.str()


def test_a_base_url_without_a_key_skips(pytester: pytest.Pytester) -> None:

    pytester.makepyfile("def test_target(modelslab_target): pass")
    with no_mock_origin() as url:
        result = pytester.runpytest("-rs", f"--modelslab-base-url={url}")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*--modelslab-base-url is set but $MODELSLAB_API_KEY is empty*"])


def test_the_budget_caps_requests_to_a_real_backend(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    backend: Any) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    pytester.makepyfile("""
        def test_spends(modelslab_target):
            with modelslab_target.client() as client:
                for _ in range(3):
                    client.post("/api/v6/images/text2img", json=modelslab_target.body())

        def test_after(modelslab_target):
            pass
    """)

    result = pytester.runpytest("-rs", f"--modelslab-base-url={backend.url}",
                                "--modelslab-budget=2")

    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*--modelslab-budget=2 is spent (2 sent): request not sent*",
                                 f"modelslab: 2 request(s) sent to the mock at {backend.url} of "
                                 "a budget of 2",
                                 "SKIPPED*--modelslab-budget=2 is spent*"], consecutive=False)
    assert len([e for e in _journal(backend) if e["kind"] == "request"]) == 2


def test_a_budget_spent_in_a_fixture_is_reported_the_same(pytester: pytest.Pytester,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          backend: Any) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    pytester.makeconftest("""
        import pytest

        @pytest.fixture
        def warmed(modelslab_target):
            modelslab_target.spend(3, what="3 warm-up requests")
    """)
    pytester.makepyfile("""
        from contracts.client import Budget

        def test_warm(warmed):
            pass

        def test_other_budgets_are_the_tests_own():
            Budget(0).take()
    """)

    result = pytester.runpytest(f"--modelslab-base-url={backend.url}", "--modelslab-budget=2")

    result.assert_outcomes(errors=1, failed=1)
    result.stdout.fnmatch_lines(["*--modelslab-budget=2 is spent (0 sent): 3 warm-up requests "
                                 "not sent*", "*BudgetExhausted: the budget of 0 request(s)*"],
                                consecutive=False)


def test_the_seed_option_seeds_the_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import httpx, pytest

        def test_mock(modelslab_mock):
            assert modelslab_mock.engine.config.seed == 7
            body = httpx.post("https://modelslab.com/api/v6/images/text2img",
                              json={_body()}).json()
            print("random seed", body["meta"]["seed"])

        def test_server(modelslab_server):
            assert modelslab_server.config["seed"] == 7

        @pytest.mark.modelslab(seed=8)
        def test_marker_wins(modelslab_mock):
            assert modelslab_mock.engine.config.seed == 8
    """)

    first = pytester.runpytest("-s", "--modelslab-seed=7")
    again = pytester.runpytest("-s", "--modelslab-seed=7")

    first.assert_outcomes(passed=3)
    def seeds(result: pytest.RunResult) -> list[str]:
        return [line.split("random seed")[1] for line in result.outlines if "random seed" in line]

    assert seeds(first) and seeds(first) == seeds(again)


# -- the fixtures hand out the library's own objects -------------------------------------------

def test_the_fixtures_are_the_librarys_objects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from contracts.checker import ContractChecker
        from contracts.client import Target
        from contracts.control import HttpMockControl, MockControl, Server

        def test_types(modelslab_contract, modelslab_target, modelslab_server):
            assert isinstance(modelslab_contract, ContractChecker)
            assert isinstance(modelslab_target, Target)
            assert modelslab_target.server is modelslab_server
            assert isinstance(modelslab_server, Server)
            assert isinstance(modelslab_server.control, HttpMockControl)
            assert isinstance(modelslab_server.control, MockControl)
            assert modelslab_server.configure(eta=0.3)["eta"] == 0.3
    """)

    pytester.runpytest().assert_outcomes(passed=1)


@pytest.fixture
def not_a_mock() -> Iterator[str]:
    """A backend with no /__mock/ admin API: every path is 404."""
    with no_mock_origin() as url:
        yield url


def test_controls_of_a_backend_that_is_no_mock_skip(pytester: pytest.Pytester,
                                                    not_a_mock: str) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.modelslab(queue="always")  # cannot be told: ignored, not an error
        def test_journal(modelslab_server):
            assert not modelslab_server.is_mock
            modelslab_server.journal

        def test_configure(modelslab_server):
            modelslab_server.configure(queue="always")

        def test_url_only(modelslab_server):
            assert modelslab_server.url.startswith("http://127.0.0.1:")
    """)

    result = pytester.runpytest("-rs", f"--modelslab-base-url={not_a_mock}")

    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED*is not a modelslab-contract mock*"])


def test_a_follow_past_the_budget_fails_without_sending(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        backend: Any) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    pytester.makepyfile("""
        import pytest

        @pytest.mark.modelslab(queue="always", eta=30)
        def test_follow(modelslab_target, modelslab_contract):
            body = modelslab_target.body()
            with modelslab_target.client() as client:
                job = client.post("/api/v6/images/text2img", json=body)
            modelslab_contract.follow(body, job, interval=0.01)
    """)

    result = pytester.runpytest(f"--modelslab-base-url={backend.url}", "--modelslab-budget=2")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*--modelslab-budget=2 is spent (2 sent): fetch of job * "
                                 "not sent*"])
    assert len([e for e in _journal(backend) if e["kind"] == "request"]) == 2
    assert SECRET not in result.stdout.str()


# -- import cost ---------------------------------------------------------------------------------

def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (f"import sys, contracts.plugin; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout

    assert out.strip() == "[]"


def test_collecting_a_project_that_uses_no_fixture_loads_nothing_heavy(
        pytester: pytest.Pytester) -> None:
    """Every other installed plugin is disabled (respx's own plugin imports httpx): what is
    loaded is ours. bench/plugin_import.py times the same run."""
    pytester.makeconftest(textwrap.dedent(f"""
        import sys

        def pytest_collection_finish(session):
            print("HEAVY", sorted(m for m in {HEAVY!r} if m in sys.modules))
            print("PLUGIN", session.config.pluginmanager.has_plugin("modelslab"))
    """))
    pytester.makepyfile("def test_plain(): assert 1 + 1 == 2")
    others = sorted({e.name for e in entry_points(group="pytest11")} - {"modelslab"})

    result = pytester.runpytest_subprocess("--co", "-s", *(f"-pno:{n}" for n in others))

    result.stdout.fnmatch_lines(["HEAVY []", "PLUGIN True"])


# -- one budget for every pytest-xdist worker (issue 11) -----------------------------------------

def test_one_budget_is_shared_by_every_xdist_worker(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    backend: Any) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    pytester.makepyfile("""
        import httpx, pytest

        @pytest.mark.parametrize("n", range(4))
        def test_one_request(modelslab_server, n):
            body = {"key": "k", "model_id": "midjourney", "prompt": "a red fox"}
            answer = httpx.post(modelslab_server.url + "/api/v6/images/text2img", json=body,
                                trust_env=False)
            assert answer.json()["status"] == "success"
    """)

    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist",
                                           f"--modelslab-base-url={backend.url}",
                                           "--modelslab-budget=2")

    sent = [e for e in _journal(backend) if e["kind"] == "request"]
    assert len(sent) == 2  # per worker, it was 2 each: 4 in all
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*--modelslab-budget=2 is spent*not sent*",
                                 "modelslab: 2 request(s) sent to the * at http://127.0.0.1:* "
                                 "of a budget of 2"])
