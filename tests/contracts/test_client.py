"""contracts.client: the budget is never exceeded, faults are retried, queued jobs are
followed (sync and async), the key goes out only on the wire and never comes back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from contracts.client import (
    Backoff,
    Budget,
    BudgetExhausted,
    Target,
    fetch_endpoint,
    plan_fetch,
)
from contracts.redaction import REDACTED
from contracts.rules import V4, V6
from contracts.vocabulary import KEY

mockserver = pytest.importorskip("mockserver")

SECRET = "sk-live-0123456789abcdef"
NO_WAIT = Backoff(base=0.0, cap=0.0)


def _target(budget: int | None = None, backoff: Backoff = NO_WAIT, **settings: Any) -> Target:
    config = mockserver.MockConfig(accepted_keys=frozenset({SECRET}), **settings)
    return Target("http://mock.invalid", SECRET, Budget(budget),
                  transport=mockserver.transport(config), backoff=backoff,
                  sleep=lambda s: None)


def _generation(**fields: Any) -> dict[str, Any]:
    return {"key": KEY, "model_id": "midjourney", "prompt": "a red fox", **fields}


# -- the budget ----------------------------------------------------------------------------------

def test_spending_past_the_budget_raises_and_counts_nothing() -> None:
    budget = Budget(2)
    budget.take()
    budget.spend(1)

    with pytest.raises(BudgetExhausted) as info:
        budget.spend(1, what="fetch of job 7")

    assert (budget.used, budget.left, budget.exhausted) == (2, 0, True)
    assert (info.value.limit, info.value.used, info.value.what) == (2, 2, "fetch of job 7")
    assert "fetch of job 7 not sent" in str(info.value)
    assert Budget().left is None and not Budget().exhausted


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_the_target_never_sends_past_its_budget(limit: int) -> None:
    config = mockserver.MockConfig(accepted_keys=frozenset({SECRET}), queue="always", eta=0)
    transport = mockserver.transport(config)
    with Target("http://mock.invalid", SECRET, Budget(limit), backoff=NO_WAIT,
                transport=transport) as target:
        with pytest.raises(BudgetExhausted):
            for _ in range(10):
                target.follow(target.post(V6, _generation(samples=1)), V6)
        assert target.budget.used == limit
    assert len([e for e in transport.engine.journal.entries() if e["kind"] == "request"]) == limit


def test_a_client_from_the_target_counts_against_the_budget() -> None:
    with _target(2) as target, target.client() as client:
        assert client.post("/api/v6/images/text2img", json=target.body()).status_code == 200
        client.post("/api/v6/images/text2img", json=target.body())
        with pytest.raises(BudgetExhausted):
            client.post("/api/v6/images/text2img", json=target.body())
    assert target.budget.used == 2


# -- retries, the key, follow ---------------------------------------------------------------------

class Flaky(httpx.BaseTransport):
    """The first `n` requests answer 503, then the inner transport answers."""

    def __init__(self, inner: httpx.BaseTransport, n: int, retry_after: str = "0") -> None:
        self.inner, self.n, self.seen, self.retry_after = inner, n, 0, retry_after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.n:
            return httpx.Response(503, headers={"Retry-After": self.retry_after},
                                  text="<html>busy</html>")
        return self.inner.handle_request(request)


def test_faults_are_retried_with_backoff_within_the_budget() -> None:
    slept: list[float] = []
    inner = mockserver.transport(mockserver.MockConfig())
    target = Target("http://mock.invalid", SECRET, Budget(10), transport=Flaky(inner, 2, "1.5"),
                    backoff=Backoff(retries=2, base=0.25, cap=1.0), sleep=slept.append)

    reply = target.post(V6, _generation())

    assert reply.status_field == "success"
    assert slept == [1.0, 1.0]  # Retry-After 1.5, cut to the cap
    assert target.budget.used == 3 and target.slept == 2.0
    worse = Target("http://mock.invalid", SECRET, Budget(2), transport=Flaky(inner, 9),
                   backoff=Backoff(retries=5, base=0.0), sleep=slept.append)
    assert worse.post(V6, _generation()).status == 503  # the budget ends the retries
    assert worse.budget.used == 2


def test_the_key_goes_out_on_the_wire_and_comes_back_raw_scrubbed_only_when_shown() -> None:
    seen: list[dict[str, Any]] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(401, json={"status": "error",
                                         "message": f"Invalid Api Key {seen[-1]['key']}"},
                              headers={"X-Echo": SECRET})
    target = Target("http://x", SECRET, transport=httpx.MockTransport(echo),
                    backoff=Backoff(retries=0))

    reply = target.post(V6, _generation())

    assert seen[0]["key"] == SECRET
    assert reply.body["message"] == f"Invalid Api Key {SECRET}"  # judged as it came
    assert reply.headers["x-echo"] == SECRET
    shown = target.scrubber(reply.short())
    assert SECRET not in repr(target) and SECRET not in shown and REDACTED in shown


def test_a_transport_error_is_a_reply_without_the_key() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused for {SECRET}", request=request)
    target = Target("http://x", SECRET, transport=httpx.MockTransport(boom),
                    backoff=Backoff(retries=1, base=0), sleep=lambda s: None)

    reply = target.post(V6, _generation())

    assert reply.error == f"ConnectError: refused for {REDACTED}"
    assert target.budget.used == 2


@pytest.mark.parametrize("endpoint", [V6, V4])
def test_follow_fetches_a_queued_job_to_its_end(endpoint: str) -> None:
    with _target(queue="always", eta=0) as target:
        first = target.post(endpoint, _generation(samples=2))
        fetches = target.follow(first, endpoint)

    assert first.status_field == "processing"
    assert fetches and fetches[-1].reply.status_field == "success"
    assert fetches[-1].reply.body["output"] == first.body["future_links"]
    assert all(f.body["key"] == KEY for f in fetches)  # reports show the placeholder


def test_follow_keeps_within_its_fetch_and_wait_caps() -> None:
    backoff = Backoff(base=0.0, cap=1.0, job_wait=2.5, fetches=6)
    with _target(backoff=backoff, queue="always", eta=60) as target:
        fetches = target.follow(target.post(V6, _generation()), V6)
        assert fetches[-1].reply.status_field == "processing"
        assert len(fetches) == 3 and target.slept == 2.5  # 1 + 1 + 0.5: job_wait reached
    few = Backoff(base=0.0, cap=0.0, fetches=2)
    with _target(backoff=few, queue="always", eta=60) as target:
        assert len(target.follow(target.post(V6, _generation()), V6)) == 2


def test_follow_stops_when_the_budget_is_spent() -> None:
    with _target(3, queue="always", eta=60) as target:
        fetches = target.follow(target.post(V6, _generation()), V6)
    assert len(fetches) == 2 and target.budget.exhausted


def test_afollow_follows_with_an_async_client() -> None:
    async def run() -> tuple[Any, ...]:
        with _target(queue="always", eta=0) as target:
            first = target.post(V6, _generation(samples=3))
            fetches = await target.afollow(first, V6)
            return first, fetches, target.budget.used

    first, fetches, used = asyncio.run(run())

    assert fetches[-1].reply.status_field == "success"
    assert fetches[-1].reply.body["output"] == first.body["future_links"]
    assert used == 1 + len(fetches)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://modelslab.com/api/v6/images/fetch/123", ("/api/v6/images/fetch/{id}", "123")),
    ("http://127.0.0.1:1/api/v6/images/fetch", ("/api/v6/images/fetch", None)),
    ("https://x/api/v3/dreambooth/fetch/ab_c", ("/api/v3/dreambooth/fetch/{id}", "ab_c")),
    ("https://x/api/v4/dreambooth/fetch/9/", ("/api/v4/dreambooth/fetch/{id}", "9")),
    ("https://x/api/v6/images/text2img", None),
])
def test_fetch_result_urls_name_their_endpoint(url: str, expected: tuple[str, Any]) -> None:
    assert fetch_endpoint(url) == expected


def test_a_fetch_plan_follows_fetch_result_else_the_body_form() -> None:
    by_path = plan_fetch({"id": 7, "fetch_result": "https://m/api/v6/images/fetch/7"}, V6, "k")
    by_body = plan_fetch({"id": 7}, V4, "k")
    via = plan_fetch({"id": 7, "fetch_result": "https://m/api/v6/images/fetch/7"}, V6, "k",
                     via="/api/v6/images/fetch")

    assert (by_path.path, by_path.body, by_path.path_id) == \
        ("/api/v6/images/fetch/7", {"key": "k"}, "7")
    assert (by_body.path, by_body.body, by_body.url) == \
        ("/api/v4/dreambooth/fetch", {"key": "k", "request_id": "7"}, None)
    assert (via.endpoint, via.body) == ("/api/v6/images/fetch", {"key": "k", "request_id": "7"})
    odd = plan_fetch({"id": "a/b"}, V6, "k", via="/api/v6/images/fetch/{id}")
    assert odd.path == "/api/v6/images/fetch/a/b"  # sent as given; the checks judge the answer


# -- the target as tests see it -------------------------------------------------------------------

def test_the_target_never_shows_its_key() -> None:
    target = Target("https://modelslab.com/", SECRET, is_mock=False)

    assert target.body()["key"] == SECRET
    assert SECRET not in repr(target)
    assert target.url("/api/v6/images/text2img") == \
        "https://modelslab.com/api/v6/images/text2img"


def test_download_reads_an_image_size_and_counts_it() -> None:
    with _target(2) as target:
        reply = target.post(V6, _generation(width=512, height=768, samples=1))
        image = target.download(reply.body["output"][0])
        assert (image.status, image.size, image.error) == (200, (512, 768), None)
        with pytest.raises(BudgetExhausted):
            target.download(reply.body["output"][0])
    missing = _target().download("http://mock.invalid/generations/nothing.png")
    assert missing.size is None and missing.error == f"HTTP {missing.status}"


# -- one home -----------------------------------------------------------------------------------

def test_every_public_name_resolves_and_each_concept_has_one_home() -> None:
    from contracts import checks, client, gate

    assert client.__all__ == sorted(client.__all__)
    assert all(getattr(client, name) is not None for name in client.__all__)
    assert set(dir(client)) >= set(client.__all__)
    with pytest.raises(AttributeError):
        client.Nothing  # noqa: B018
    assert (checks.Fetch, checks.Image) == (client.Fetch, client.Image)
    # the gate uses the client and the redaction module; its facade does not restate them
    assert not {"Target", "Budget", "Backoff", "BudgetExhausted", "REDACTED"} & set(gate.__all__)
