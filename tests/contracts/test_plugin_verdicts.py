"""Issue 14's plugin items, each on a throwaway project (pytester): async follow, the mock
failing closed for `requests`, no key needed for a mock, ini options, the webhook receiver
fixture and marker settings checked with a suggestion."""

from __future__ import annotations

import pytest

from tests.contracts._pytester import _checks_loaded, _project

pytest_plugins = ["pytester"]
__all__ = ["_checks_loaded", "_project"]  # autouse fixtures, shared



def test_afollow_follows_a_queued_job_with_an_async_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import asyncio, httpx, pytest

        @pytest.mark.modelslab(queue="always", eta=0)
        def test_async(modelslab_mock, modelslab_contract):
            async def go():
                body = {"key": "k", "model_id": "sdxl", "prompt": "a fox"}
                async with httpx.AsyncClient() as client:
                    answer = await client.post(
                        "https://modelslab.com/api/v6/images/text2img", json=body)
                    final = await modelslab_contract.afollow(body, answer.json(),
                                                             client=client)
                assert final["status"] == "success"
            asyncio.run(go())

        def test_sync_follow_refuses_an_async_client(modelslab_mock, modelslab_contract):
            import httpx
            with pytest.raises(TypeError, match="afollow"):
                modelslab_contract.follow({"key": "k"}, {"status": "processing", "id": 1},
                                          client=httpx.AsyncClient())
    """)
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


def test_the_in_process_mock_refuses_requests_calls_to_the_vendor(
        pytester: pytest.Pytester) -> None:
    pytest.importorskip("requests")
    pytester.makepyfile("""
        import requests

        def test_raises(modelslab_mock):
            requests.post("https://modelslab.com/api/v6/images/text2img", json={})

        def test_swallowed(modelslab_mock):
            try:
                requests.post("https://modelslab.com/api/v6/images/text2img", json={})
            except Exception:
                pass  # a client that hides errors: the fixture still fails the test
    """)
    result = pytester.runpytest_subprocess()
    # test_raises fails in its call; both fail at the fixture's teardown (the swallowed one
    # too): neither passes as a whole.
    result.assert_outcomes(failed=1, passed=1, errors=2)
    result.stdout.fnmatch_lines(["ERROR *::test_raises*", "ERROR *::test_swallowed*"],
                                consecutive=False)
    assert "modelslab_mock mounts the mock for httpx only" in result.stdout.str()
    assert "modelslab_server" in result.stdout.str()


def test_a_base_url_that_is_a_mock_needs_no_key(pytester: pytest.Pytester) -> None:
    from mockserver import LiveServer, MockConfig

    pytester.makepyfile("""
        def test_target(modelslab_target):
            assert modelslab_target.is_mock
            with modelslab_target.client() as client:
                answer = client.post("/api/v6/images/text2img", json=modelslab_target.body())
            assert answer.json()["status"] == "success"
    """)
    with LiveServer(MockConfig()) as live:
        result = pytester.runpytest_subprocess(f"--modelslab-base-url={live.url}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"modelslab: 1 request(s) sent to the mock at {live.url}"])
    assert "real backend" not in result.stdout.str()


def test_options_come_from_the_ini_file_and_the_command_line_wins(
        pytester: pytest.Pytester) -> None:
    pytester.makeini("""
        [pytest]
        addopts = -p no:cacheprovider
        modelslab_seed = 7
        modelslab_budget = 3
        modelslab_key_env = MY_KEY
    """)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--modelslab-base-url=http://127.0.0.1:9")
    result.stdout.fnmatch_lines(["modelslab: target http://127.0.0.1:9 (key from $MY_KEY: "
                                 "NOT set; budget 3)"])
    result = pytester.runpytest_subprocess("--modelslab-seed=9")
    result.stdout.fnmatch_lines(["modelslab: target the mock (seed 9)"])


def test_the_webhook_receiver_fixture_gets_the_mock_s_webhook(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import httpx, pytest

        @pytest.mark.modelslab(queue="always", eta=0)
        def test_hook(modelslab_server, modelslab_webhooks):
            body = {"key": "k", "model_id": "sdxl", "prompt": "a fox",
                    "webhook": modelslab_webhooks.url, "track_id": 42}
            job = httpx.post(modelslab_server.url + "/api/v6/images/text2img", json=body).json()
            httpx.post(modelslab_server.url + "/api/v6/images/fetch/" + str(job["id"]),
                       json={"key": "k"})
            hook = modelslab_webhooks.wait()
            assert hook["track_id"] == 42 and hook["id"] == job["id"]
    """)
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_misspelt_marker_setting_is_named_with_a_suggestion(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.modelslab(queu="always")
        def test_typo(modelslab_mock):
            pass
    """)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.modelslab: unknown setting(s): queu; did you "
                                 "mean 'queue'?*"])
