"""contracts.checker without pytest's fixtures: check, failures, follow and afollow."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from contracts.checker import ContractChecker, Failure
from contracts.client import Budget, BudgetExhausted
from contracts.rules import V4, V6
from tests.contracts import _leaks

mockserver = pytest.importorskip("mockserver")

SECRET = "sk-live-0123456789abcdef"
URL = "https://modelslab.com" + V6


def _client(**settings: Any) -> httpx.Client:
    return httpx.Client(transport=mockserver.transport(mockserver.MockConfig(**settings)))


def _body(**fields: Any) -> dict[str, Any]:
    return {"key": SECRET, "model_id": "midjourney", "prompt": "a red fox", **fields}


def test_a_conforming_exchange_passes_in_every_form() -> None:
    checker = ContractChecker()
    body = _body(samples=3, lora_model="a,b", lora_strength="0.5,0.7")
    with _client() as client:
        answer = client.post(URL, json=body)

    checker.check(body, answer)
    checker.check(body, answer.json())
    checker.check(body, answer.content)
    checker.check(body, answer.text)
    assert checker.failures(body, answer) == []
    assert "rules" in repr(checker)


def test_a_broken_exchange_names_rule_field_expected_seen_and_payload() -> None:
    checker = ContractChecker(secrets=[SECRET])
    body = _body(samples=2)
    with _client() as client:
        doctored = client.post(URL, json=body).json()
    doctored["output"] = doctored["output"][:1]

    found = checker.failures(body, doctored)
    with pytest.raises(AssertionError) as info:
        checker.check(body, doctored)

    assert [f.rule.id for f in found] == ["output.count"]
    assert isinstance(found[0], Failure) and found[0].field == "samples"
    text = str(info.value)
    assert text.startswith("ModelsLab contract violated (output.count) by POST " + V6 + ":")
    assert "[output.count] (samples)" in text and "expected: " in text and "seen: " in text
    assert '"key": "<redacted>"' in text and "response: HTTP 200" in text
    assert SECRET not in text


def test_a_violation_message_hides_a_key_echoed_in_any_encoding() -> None:
    """Judged raw (the echo changes no verdict), shown scrubbed: the message names the rule
    and shows the answer, but the key in none of its encodings."""
    body = {**_body(samples=2), "key": _leaks.KEY}
    with _client(accepted_keys=frozenset({_leaks.KEY})) as client:
        answer = client.post(URL, json=body).content
    conforming = b"{" + _leaks.echo_field(_leaks.KEY) + b", " + answer[1:]
    doctored = json.loads(answer)
    doctored["output"] = doctored["output"][:1]
    broken = b"{" + _leaks.echo_field(_leaks.KEY) + b", " + json.dumps(doctored).encode()[1:]
    checker = ContractChecker()

    checker.check(body, conforming)
    with pytest.raises(AssertionError) as info:
        checker.check(body, broken)

    text = str(info.value)
    assert "(output.count)" in text and "echo" in text and "<redacted>" in text
    assert _leaks.revealed(text) == []


def test_an_exception_naming_a_job_hides_a_key_it_echoes() -> None:
    checker = ContractChecker(budget=Budget(0))
    body = {**_body(), "key": _leaks.KEY}
    with _client(queue="always", eta=60) as client:
        job = client.post(URL, json=body).json()
    job["id"] = " ".join(_leaks.echoes(_leaks.KEY).values())  # a backend's own id form

    with pytest.raises(BudgetExhausted, match="fetch of job") as info:
        checker.follow(body, job, interval=0.01)
    assert _leaks.revealed(str(info.value)) == []


def test_a_status_given_apart_is_checked() -> None:
    checker = ContractChecker()
    with _client() as client:
        answer = client.post(URL, json=_body(samples=9)).json()

    checker.check(_body(samples=9), answer, status=200)
    assert checker.failures(_body(), {"status": "success", "output": []}, status=500) == []


def test_follow_checks_a_queued_job_with_any_client() -> None:
    checker = ContractChecker()
    with _client(queue="always", eta=0.05) as client:
        body = _body(samples=2)
        job = client.post(URL, json=body)
        final = checker.follow(body, job, client=client)
        v4 = checker.follow(body, client.post("https://modelslab.com" + V4, json=body), V4,
                            client=client)

    assert final["status"] == "success" and final["output"] == job.json()["future_links"]
    assert v4["status"] == "success"
    assert checker.follow(body, {"status": "error", "message": "Invalid Api Key"}) == \
        {"status": "error", "message": "Invalid Api Key"}


def test_follow_gives_up_at_its_timeout() -> None:
    checker = ContractChecker(timeout=0.2)
    with _client(queue="always", eta=60) as client:
        body = _body()
        job = client.post(URL, json=body)
        with pytest.raises(AssertionError, match=r"still processing after 0.2 s"):
            checker.follow(body, job, client=client, interval=0.05)


def test_follow_needs_an_absolute_fetch_result() -> None:
    with _client(queue="always", eta=60) as client:
        job = client.post(URL, json=_body()).json()
    job["fetch_result"] = "/api/v6/images/fetch/1"

    failures = ContractChecker().failures(_body(), job)
    with pytest.raises(AssertionError, match="an absolute fetch_result URL"):
        ContractChecker().follow(_body(), job)
    assert [f.rule.id for f in failures] == []  # the schema allows it; following needs more


def test_follow_spends_the_budget_on_each_fetch() -> None:
    checker = ContractChecker(budget=Budget(1))
    with _client(queue="always", eta=60) as client:
        job = client.post(URL, json=_body())
        with pytest.raises(BudgetExhausted, match="fetch of job"):
            checker.follow(_body(), job, client=client, interval=0.01)


def test_an_async_client_needs_afollow() -> None:
    async def run() -> None:
        transport = mockserver.transport(mockserver.MockConfig(queue="always", eta=0.05))
        async with httpx.AsyncClient(transport=transport) as client:
            job = await client.post(URL, json=_body(samples=2))
            with pytest.raises(TypeError, match="afollow"):
                ContractChecker().follow(_body(samples=2), job, client=client)
            final = await ContractChecker().afollow(_body(samples=2), job, client=client)
            assert final["status"] == "success"
            assert final["output"] == job.json()["future_links"]

    asyncio.run(run())
