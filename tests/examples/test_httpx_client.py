"""The httpx client tested through `modelslab_mock`: no socket, no key, no credits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.examples.httpx_client import ModelsLabClient, ModelsLabError


def test_generate_checks_against_the_contract(modelslab_mock, modelslab_contract):
    client = ModelsLabClient(key="test-key")

    answer = client.generate("a red fox in the snow", samples=2, width=512, height=768)

    modelslab_contract.check(client.last_request, answer)
    assert answer["status"] == "success"
    assert len(answer["output"]) == 2
    assert answer["meta"]["H"] == 768


def test_the_journal_records_the_request_without_the_key(modelslab_mock):
    ModelsLabClient(key="sk-secret").generate("a lighthouse")

    (entry,) = [e for e in modelslab_mock.journal if e["kind"] == "request"]
    assert entry["body"]["prompt"] == "a lighthouse"
    assert "sk-secret" not in repr(entry)


@pytest.mark.modelslab(queue="always", eta=0.2)
def test_a_queued_job_is_followed_through_fetch(modelslab_mock, modelslab_contract):
    client = ModelsLabClient(key="test-key")

    job = client.generate("a bowl of ramen", samples=3)
    assert job["status"] == "processing"
    final = client.wait(job)

    assert final["status"] == "success"
    assert final["output"] == job["future_links"]
    modelslab_contract.check(client.last_request, job, fetched=final)


@pytest.mark.modelslab(queue="always", eta=0.1)
def test_the_contract_can_follow_the_job_itself(modelslab_mock, modelslab_contract):
    client = ModelsLabClient(key="test-key")
    job = client.generate("a bowl of ramen")

    final = modelslab_contract.follow(client.last_request, job)

    assert final["status"] == "success"


@pytest.mark.modelslab(queue="always", eta=0.1)
def test_a_webhook_is_received_when_the_job_ends(modelslab_mock, modelslab_webhooks):
    client = ModelsLabClient(key="test-key")

    job = client.generate("a red fox", webhook=modelslab_webhooks.url, track_id=42)
    client.wait(job)

    hook = modelslab_webhooks.wait()
    assert hook["status"] == "success"
    assert hook["track_id"] == 42
    assert hook["id"] == job["id"]


def test_an_invalid_request_gets_the_error_the_contract_expects(modelslab_mock,
                                                                modelslab_contract):
    client = ModelsLabClient(key="test-key")

    answer = client.generate("a red fox", samples=9)

    modelslab_contract.check(client.last_request, answer)
    assert answer["status"] == "error"
    with pytest.raises(ModelsLabError):
        client.wait(answer)


@pytest.mark.modelslab(error_mode="http")
def test_http_error_mode(modelslab_mock):
    client = ModelsLabClient(key="test-key")

    answer = client.http.post("/api/v6/images/text2img", json={"key": "test-key"})

    assert answer.status_code == 400
    assert answer.json()["status"] == "error"


@pytest.mark.modelslab(queue="always", eta=0.1)
def test_an_async_client_is_followed_with_afollow(modelslab_mock, modelslab_contract):
    async def generate():
        async with httpx.AsyncClient(base_url="https://modelslab.com") as http:
            body = {"key": "test-key", "model_id": "midjourney", "prompt": "a red fox"}
            job = await http.post("/api/v6/images/text2img", json=body)
            return await modelslab_contract.afollow(body, job, client=http)

    final = asyncio.run(generate())

    assert final["status"] == "success"
