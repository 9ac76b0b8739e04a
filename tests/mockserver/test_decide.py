"""The decision function, alone: every branch, with no engine, thread, socket, store or sleep."""

from __future__ import annotations

import json
import random
import socket
import sqlite3
import threading
import time
from typing import Any

import pytest

import spec
from mockserver import MockConfig, request
from mockserver.decide import (
    WORKLOAD_PENDING,
    Decision,
    Dice,
    Error,
    Generate,
    Lookup,
    Pending,
    Ready,
    WrongMethod,
    decide,
    decide_fetch,
)
from mockserver.jobs import Job
from tests.mockserver._support import V4, V6, body

LEGACY = MockConfig()
HTTP = MockConfig(error_mode="http")
FETCH_BY_ID = "/api/v6/images/fetch/{id}"
FETCH_BY_BODY = "/api/v6/images/fetch"


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deciding starts no thread, opens no socket or database and never sleeps."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("decide did I/O")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(sqlite3, "connect", refuse)
    monkeypatch.setattr(time, "sleep", refuse)


def call(payload: Any = None, *, method: str = "POST", template: str = V6,
         path_id: str | None = None, headers: dict[str, str] | None = None,
         limit: int | None = None) -> request.Call:
    raw = payload if isinstance(payload, bytes) else json.dumps(
        body() if payload is None else payload).encode()
    generation = V6 if template.startswith("/api/v6") else template if template == V4 else V4
    return request.read(method, template, generation, path_id,
                        {"content-type": "application/json", **(headers or {})}, raw,
                        LEGACY.max_body_bytes if limit is None else limit)


def run(c: request.Call, config: MockConfig = LEGACY, seed: int = 0, **facts: Any) -> Decision:
    return decide(c, config, dice=Dice.seeded(seed), **facts)


def _job(due: float = 10.0, endpoint: str = V6) -> Job:
    return Job(endpoint=endpoint, created=0.0, due=due, samples=1, meta={}, generation_time=1.0,
               seed=1, prompt="p", width=512, height=512, upscale=1, id=7)


# -- before the body is read -------------------------------------------------------------------

@pytest.mark.parametrize(("method", "status"), [("GET", 405), ("PUT", 405), ("OPTIONS", 204)])
def test_only_post_is_answered(method: str, status: int) -> None:
    assert run(call(method=method, headers={"prefer": "error=failed"})) == WrongMethod(status)


@pytest.mark.parametrize(("config", "status"), [(LEGACY, 413), (HTTP, 413)])
def test_a_body_over_the_limit_is_413_in_both_modes(config: MockConfig, status: int) -> None:
    big = call(body(prompt="x" * 100), limit=50, headers={"prefer": "error=failed"})

    assert big.decoded is None  # never decoded
    decision = run(big, config.replace(max_body_bytes=50))
    assert decision == Error("payload_too_large", status)
    assert not decision.counts


@pytest.mark.parametrize(("config", "status"), [(LEGACY, 200), (HTTP, 400)])
def test_a_non_json_type_with_a_non_object_body_is_a_validation_error(
        config: MockConfig, status: int) -> None:
    form = call(b"key=k", headers={"content-type": "application/x-www-form-urlencoded",
                                   "prefer": "error=failed"})

    decision = run(form, config)

    assert isinstance(decision, Error) and decision.status == status
    assert (decision.name, decision.rules, decision.counts) == ("validation", ("body.json",), False)
    assert decision.messages is not None
    assert "application/x-www-form-urlencoded" in decision.messages["body"][0]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/html"])
def test_a_json_object_is_read_whatever_its_type(content_type: str) -> None:
    decision = run(call(headers={"content-type": content_type}))

    assert isinstance(decision, Generate)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/x+json"])
def test_json_types_with_a_bad_body_reach_validation(content_type: str) -> None:
    decision = run(call(b"[1]", headers={"content-type": content_type}))

    assert isinstance(decision, Error) and decision.rules == ("body.json",)
    assert decision.counts  # validation comes after the key checks


# -- Prefer, the key, the rate limit -----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(spec.contract().errors))
def test_prefer_error_forces_each_error_in_both_modes(name: str) -> None:
    c = call(body(key=""), headers={"prefer": f"error={name}"})

    legacy, http = run(c, LEGACY), run(c, HTTP)

    retry = 1 if name == "rate_limit" else None  # retry_after rides in both modes' body
    assert legacy == Error(name, 413 if name == "payload_too_large" else 200, retry)
    status = int(spec.contract().errors[name]["http"])
    assert http == Error(name, status, retry)


def test_an_unknown_prefer_value_is_a_validation_error_naming_the_known_ones() -> None:
    refused = run(call(headers={"prefer": "error=nope"}), HTTP)

    assert isinstance(refused, Error) and (refused.name, refused.status) == ("validation", 400)
    assert refused.message is not None and "Prefer: error=nope is not known" in refused.message
    assert isinstance(run(call(headers={"prefer": "respond-async, code=429"})), Generate)


def test_the_empty_key_and_keys_not_accepted_are_invalid() -> None:
    only = HTTP.replace(accepted_keys=["good"])

    assert run(call(body(key="")), HTTP) == Error("invalid_key", 401)
    assert run(call(body(key="bad")), only) == Error("invalid_key", 401)
    assert isinstance(run(call(body(key="good")), only), Generate)
    assert run(call(body(key="bad")), only, rate_wait=5) == Error("invalid_key", 401)


def test_a_rate_limit_verdict_is_a_429_that_does_not_count() -> None:
    http = run(call(), HTTP, rate_wait=7)
    legacy = run(call(), LEGACY, rate_wait=7)

    assert http == Error("rate_limit", 429, 7) and not http.counts
    assert legacy == Error("rate_limit", 200, 7)  # the body's retry_after (no header)


def test_a_key_that_is_not_a_string_is_left_to_validation() -> None:
    decision = run(call(body(key=5)), HTTP, rate_wait=7)

    assert isinstance(decision, Error) and decision.name == "validation"


# -- validation and generation -----------------------------------------------------------------

def test_validation_errors_carry_the_rules_and_their_messages() -> None:
    decision = run(call(body(width=100)), HTTP)

    assert decision == Error("validation", 400, None, {"width": [
        "must be from 256 to 1024, got 100"]}, ("size.range",), counts=True)


@pytest.mark.parametrize(("queue", "prefer", "fields", "pending", "eta"), [
    ("never", "", {}, 0, None),
    ("always", "", {}, 0, 2.0),
    ("workload", "", {}, 0, None),
    ("workload", "", {"samples": 4, "width": 1024, "height": 1024}, 0, 2.0),
    ("workload", "", {}, WORKLOAD_PENDING, 2.0),
    ("workload", "", {}, WORKLOAD_PENDING - 1, None),
    ("workload", "status=success", {"samples": 4, "width": 1024, "height": 1024}, 99, None),
    ("always", "status=success", {}, 0, None),
    ("never", "status=processing", {}, 0, 2.0),
    ("never", "eta=0.25", {}, 0, 0.25),
    ("always", "eta=0", {}, 0, 0.0),
])
def test_queue_policies_and_prefer(queue: str, prefer: str, fields: dict[str, Any],
                                   pending: int, eta: float | None) -> None:
    c = call(body(seed=3, **fields), headers={"prefer": prefer} if prefer else {})

    decision = run(c, LEGACY.replace(queue=queue), pending=pending)

    assert isinstance(decision, Generate) and decision.counts
    assert (decision.eta, decision.seed, decision.request.seed) == (eta, 3, 3)


def test_a_missing_seed_is_drawn_from_the_dice() -> None:
    first = run(call(), seed=0)
    again = run(call(), seed=0)
    other = run(call(), seed=1)

    assert isinstance(first, Generate) and isinstance(again, Generate)
    assert isinstance(other, Generate)
    assert first.seed == again.seed != other.seed and 0 <= first.seed < 2 ** 32
    assert first.seed == random.Random("seeds:0").randrange(2 ** 32)


def test_a_failure_rate_fails_a_seeded_share() -> None:
    flaky = LEGACY.replace(failure_rate=0.5)
    dice, twin = Dice.seeded(0), Dice.seeded(0)

    outcomes = [decide(call(), flaky, dice=dice) for _ in range(40)]
    failed = [d for d in outcomes if isinstance(d, Error)]

    assert 5 < len(failed) < 35
    assert all(d == Error("failed", 200, counts=True) for d in failed)
    assert outcomes == [decide(call(), flaky, dice=twin) for _ in range(40)]
    assert run(call(), flaky.replace(failure_rate=1.0, error_mode="http")) == \
        Error("failed", int(spec.contract().errors["failed"]["http"]), counts=True)


def test_no_failure_rate_draws_nothing() -> None:
    dice = Dice.seeded(0)
    decide(call(body(seed=1)), LEGACY, dice=dice)

    assert dice.failures.random() == random.Random("failures:0").random()
    assert dice.seeds.random() == random.Random("seeds:0").random()


# -- fetch -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("template", "path_id", "payload"), [
    (FETCH_BY_ID, "12", {"key": "k"}), (FETCH_BY_BODY, None, {"key": "k", "request_id": 12}),
    (FETCH_BY_BODY, None, {"key": "k", "request_id": " 12 "})])
def test_a_valid_fetch_is_a_lookup(template: str, path_id: str | None, payload: Any) -> None:
    decision = run(call(payload, template=template, path_id=path_id))

    assert decision == Lookup(12) and decision.counts


@pytest.mark.parametrize("job_id", ["abc", "1" * 19, "-1"])
def test_an_id_that_cannot_be_a_job_is_unknown(job_id: str) -> None:
    decision = run(call({"key": "k"}, template=FETCH_BY_ID, path_id=job_id), HTTP)

    assert decision == Error("unknown_job", 404, counts=True)


def test_a_fetch_without_a_key_is_a_validation_error() -> None:
    decision = run(call({}, template=FETCH_BY_BODY))

    assert isinstance(decision, Error) and set(decision.rules) == {"field.required"}
    assert decision.messages == {"key": ["is required"], "request_id": ["is required"]}


def test_fetch_states() -> None:
    job = _job(due=10.0)

    assert decide_fetch(None, V6, 0.0, HTTP) == Error("unknown_job", 404, counts=True)
    assert decide_fetch(job, V4, 0.0, LEGACY) == Error("unknown_job", 200, counts=True)
    assert decide_fetch(job, V6, 9.5, LEGACY) == Pending(job, 0.5)
    assert decide_fetch(job, V6, 10.0, LEGACY) == Ready(job)
    assert Ready(job).counts and Pending(job, 1.0).counts


# -- precedence --------------------------------------------------------------------------------

def test_the_order_of_decisions() -> None:
    prefer = {"prefer": "error=failed"}

    assert run(call(body(key="", width=1), headers=prefer), rate_wait=3) == Error("failed", 200)
    assert run(call(body(key="", width=1)), rate_wait=3) == Error("invalid_key", 200)
    assert run(call(body(width=1)), rate_wait=3) == Error("rate_limit", 200, 3)
    assert run(call(body(width=1), method="GET", headers=prefer)) == WrongMethod(405)
