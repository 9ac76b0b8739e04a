"""The requests client tested through `modelslab_server` (a real port) and `modelslab_target`
(the same tests against another backend with --modelslab-base-url)."""

from __future__ import annotations

import pytest

from tests.examples.requests_client import ModelsLabClient


def test_generate_checks_against_the_contract(modelslab_server, modelslab_contract):
    client = ModelsLabClient(key="test-key", base_url=modelslab_server.url)

    answer = client.generate("a red fox in the snow", samples=2)

    modelslab_contract.check(client.last_request, answer)
    assert len(answer["output"]) == 2
    assert answer["output"][0].startswith(modelslab_server.url)


@pytest.mark.modelslab(queue="always", eta=0.2)
def test_a_queued_job_is_followed_through_fetch(modelslab_server, modelslab_contract):
    client = ModelsLabClient(key="test-key", base_url=modelslab_server.url)

    job = client.generate("a bowl of ramen", samples=2)
    assert job["status"] == "processing"
    final = client.wait(job)

    assert final["output"] == job["future_links"]
    modelslab_contract.check(client.last_request, job, fetched=final)


@pytest.mark.modelslab(queue="always", eta=0.1)
def test_a_webhook_is_received_when_the_job_ends(modelslab_server, modelslab_webhooks):
    client = ModelsLabClient(key="test-key", base_url=modelslab_server.url)

    job = client.generate("a red fox", webhook=modelslab_webhooks.url, track_id="run-7")
    client.wait(job)

    hook = modelslab_webhooks.wait()
    assert (hook["status"], hook["track_id"], hook["id"]) == ("success", "run-7", job["id"])


def test_each_test_starts_from_a_reset_server(modelslab_server):
    assert modelslab_server.journal == []


def test_any_backend_through_the_target(modelslab_target, modelslab_contract):
    """Runs against the mock by default and against --modelslab-base-url when given."""
    client = ModelsLabClient(key=modelslab_target.key, base_url=modelslab_target.base_url,
                             timeout=300)
    modelslab_target.spend()  # this client is not the target's own, so count by hand

    job = client.generate("a red fox in the snow")

    final = modelslab_contract.follow(client.last_request, job, timeout=300)
    assert final["status"] == "success"
