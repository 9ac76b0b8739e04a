"""Jobs that fail (ledger `webhook-failure`): a queued job may end failed; its fetch answers the
failure body and its webhook carries exactly status, id, message and track_id."""

from __future__ import annotations

import json

import pytest

from mockserver import MockConfig, request
from mockserver.decide import Dice, Error, Generate, decide
from tests.mockserver._support import V6, Mock, body, make_mock

FAILED = "Failed, Try Again"


def _decide(prefer: str | None, config: MockConfig) -> object:
    headers = {"content-type": "application/json", **({"prefer": prefer} if prefer else {})}
    call = request.read("POST", V6, V6, None, headers, json.dumps(body()).encode(),
                        config.max_body_bytes)
    return decide(call, config, dice=Dice.seeded(0))


def test_prefer_status_failed_queues_a_job_that_fails() -> None:
    decision = _decide("status=failed", MockConfig())

    assert isinstance(decision, Generate) and decision.fails and decision.eta == 2.0


def test_a_failure_rate_fails_queued_jobs_later_and_instant_ones_at_once() -> None:
    queued = _decide(None, MockConfig(failure_rate=1.0, queue="always"))
    instant = _decide(None, MockConfig(failure_rate=1.0))
    never = _decide(None, MockConfig(queue="always"))

    assert isinstance(queued, Generate) and queued.fails
    assert instant == Error("failed", 200, counts=True)
    assert isinstance(never, Generate) and not never.fails


def _hook_mock(**changes: object) -> Mock:
    return make_mock(webhook_hosts=("hooks.test",), **changes)


@pytest.mark.parametrize("how", ["prefer", "switch"])
def test_a_failed_job_is_fetched_as_failed_and_its_webhook_says_so(how: str) -> None:
    mock = _hook_mock() if how == "prefer" else _hook_mock(queue="always", failure_rate=1.0)
    headers = {"Prefer": "status=failed"} if how == "prefer" else None

    queued = mock.generate(webhook="http://hooks.test/h", track_id="order-1", headers=headers)
    early = mock.post(f"/api/v6/images/fetch/{queued['id']}", {"key": "test-key"}).json()
    mock.clock.advance(5)
    fetched = mock.post(f"/api/v6/images/fetch/{queued['id']}", {"key": "test-key"}).json()
    again = mock.post("/api/v6/images/fetch",
                      {"key": "test-key", "request_id": queued["id"]}).json()

    assert queued["status"] == "processing" and early["status"] == "processing"
    # fetch answers status, id and message; the webhook adds the track_id
    assert fetched == {"status": "failed", "id": queued["id"], "message": FAILED}
    assert again == fetched
    assert mock.sender.sent == [("http://hooks.test/h", {
        "status": "failed", "id": queued["id"], "message": FAILED, "track_id": "order-1"})]
    assert [e["outcome"] for e in mock.engine.journal.entries("request")][-1] == "failed"


def test_a_failed_job_without_track_id_sends_track_id_null() -> None:
    mock = _hook_mock()

    queued = mock.generate(webhook="http://hooks.test/h", headers={"Prefer": "status=failed"})
    mock.clock.advance(5)
    mock.engine.run_due()

    assert mock.sender.sent[0][1] == {"status": "failed", "id": queued["id"],
                                      "message": FAILED, "track_id": None}


def test_the_switch_is_a_setting_the_admin_api_can_flip(mock: Mock) -> None:
    mock.engine.configure(queue="always", failure_rate=1.0)
    queued = mock.generate()
    mock.clock.advance(5)
    failed = mock.post(f"/api/v6/images/fetch/{queued['id']}", {"key": "test-key"}).json()
    mock.engine.scenario("failing-jobs")

    assert failed["status"] == "failed"
    assert (mock.engine.config.queue, mock.engine.config.failure_rate) == ("always", 1.0)


def test_a_failed_job_keeps_its_failure_in_the_sqlite_store(tmp_path: object) -> None:
    mock = make_mock(store=f"sqlite:{tmp_path}/jobs.sqlite")
    queued = mock.generate(headers={"Prefer": "status=failed"})
    mock.clock.advance(5)

    answer = mock.post(f"/api/v6/images/fetch/{queued['id']}", {"key": "test-key"}).json()

    assert answer["status"] == "failed"
    mock.engine.close()
