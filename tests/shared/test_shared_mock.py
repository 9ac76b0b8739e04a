"""Issue 11: one state for mocks in several processes (Redis; SQLite with --workers 2).

Two mock processes on two ports share one store; a client alternating between them completes
queued jobs through fetch and sees one journal, one config, one rate limit, and each webhook
exactly once; kill -9 of either loses no job and no webhook; SIGTERM and the master's death
stop every worker, and a restart binds cleanly.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mockserver.leases import STALL_AFTER_CLAIM
from tests.shared.conftest import (
    START,
    Mock,
    Receiver,
    alive,
    call,
    free_port,
    wait_for,
)

V6 = "/api/v6/images/text2img"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads worker processes from /proc")


def _body(**fields: Any) -> dict[str, Any]:
    return {"key": "shared-key", "model_id": "midjourney", "prompt": "a red fox", **fields}


@pytest.fixture(params=["redis", "sqlite-workers-2"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Mock, Mock]]:
    """Two mock processes sharing one store: two Redis clients, or two SQLite mocks of two
    workers each on one file."""
    if request.param == "redis":
        args: tuple[str, ...] = ("--store", request.getfixturevalue("redis_db"))
    else:
        args = ("--store", f"sqlite:{tmp_path / 'shared.sqlite'}", "--workers", "2")
    mocks = [Mock(free_port(), "--queue", "always", "--eta", "1", "--shutdown-grace", "1",
                  *args, cwd=tmp_path)
             for _ in range(2)]
    try:
        for mock in mocks:
            mock.spawn()
        for mock in mocks:
            mock.ready()
        yield mocks[0], mocks[1]
    finally:
        for mock in mocks:
            mock.stop()


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _fetched(mock: Mock, job: dict[str, Any]) -> dict[str, Any] | None:
    status, answer = call(mock.url + _path(job["fetch_result"]), {"key": "shared-key"})
    assert status == 200 and answer["status"] in ("processing", "success"), answer
    return answer if answer["status"] == "success" else None


def _journal(mock: Mock) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = call(mock.url + "/__mock/journal")[1]["entries"]
    return entries


def test_two_mocks_share_jobs_journal_config_rate_limit_and_webhooks(
        pair: tuple[Mock, Mock], receiver: Receiver) -> None:
    a, b = pair
    assert call(a.url + "/__mock/config", {"eta": 0.5}, "PUT")[0] == 200
    assert call(b.url + "/__mock/config")[1]["eta"] == 0.5  # one config

    jobs = []
    for i in range(4):
        status, answer = call((a, b)[i % 2].url + V6, _body(webhook=receiver.url, track_id=i))
        assert status == 200 and answer["status"] == "processing", answer
        jobs.append(answer)
    ids = [job["id"] for job in jobs]
    assert len(set(ids)) == 4
    for i, job in enumerate(jobs):  # each fetched through the mock that did not make it
        final = wait_for(lambda job=job, i=i: _fetched((b, a)[i % 2], job), f"job {job['id']}")
        assert [_path(u) for u in final["output"]] == [_path(u) for u in job["future_links"]]

    wait_for(lambda: len([e for e in _journal(a) if e["kind"] == "webhook"]) == 4,
             "four webhook deliveries in the journal")
    assert receiver.ids() == sorted(ids)  # each webhook exactly once
    one, two = _journal(a), _journal(b)
    assert one == two  # one journal
    assert sorted(e["job"] for e in one if e["kind"] == "webhook") == sorted(ids)
    assert all(e["outcome"] == "delivered" for e in one if e["kind"] == "webhook")

    assert call(b.url + "/__mock/config", {"rate_limit": 2, "queue": "never"}, "PUT")[0] == 200
    answers = [call((a, b)[i % 2].url + V6, _body(key="rate-key"))[1] for i in range(3)]
    assert [x["status"] for x in answers] == ["success", "success", "error"]  # one limit
    # At once, from 12 clients on both mocks: still exactly 2 of a fresh key's go through.
    start = threading.Barrier(12)

    def burst(i: int) -> str:
        start.wait()
        return str(call((a, b)[i % 2].url + V6, _body(key="burst-key"))[1]["status"])

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(burst, range(12)))
    assert sorted(outcomes) == ["error"] * 10 + ["success"] * 2
    assert call(a.url + "/__mock/reset", {})[0] == 200
    assert call(b.url + "/__mock/config")[1]["rate_limit"] is None
    newer = call(b.url + V6, _body())[1]
    assert newer["id"] > max(ids)  # ids never repeat, a reset included


def test_kill_9_of_either_mock_loses_no_job_and_no_webhook(
        pair: tuple[Mock, Mock], receiver: Receiver) -> None:
    for victim, survivor in (pair, pair[::-1]):
        receiver.bodies.clear()
        jobs = [call(m.url + V6, _body(webhook=receiver.url))[1]
                for m in (victim, survivor, victim, survivor)]
        assert all(job["status"] == "processing" for job in jobs), jobs
        workers = victim.children()
        victim.kill()  # kill -9: the master only, when it has workers
        for job in jobs:
            wait_for(lambda job=job, mock=survivor: _fetched(mock, job),
                     f"job {job['id']} after kill -9")
        wait_for(lambda: len(receiver.ids()) >= 4, "every webhook after kill -9")
        assert receiver.ids() == sorted(job["id"] for job in jobs)
        # The master's death stopped its workers, so a restart binds the port cleanly.
        wait_for(lambda workers=workers: not any(alive(p) for p in workers),
                 "the killed master's workers to stop")
        victim.start()
        assert call(victim.url + "/__mock/health")[0] == 200


@pytest.mark.parametrize("kind", ["redis", "sqlite-workers-2"])
def test_a_mock_killed_between_claim_and_send_leaves_the_webhook_to_the_others(
        kind: str, request: pytest.FixtureRequest, tmp_path: Path, receiver: Receiver) -> None:
    """The victim claims the due webhook and stops there (the test hook), is killed -9; the
    mock started after it sends the webhook once the claim's lease expires, exactly once."""
    store = request.getfixturevalue("redis_db") if kind == "redis" \
        else f"sqlite:{tmp_path / 'shared.sqlite'}"
    claimed = tmp_path / "claimed"
    victim = Mock(free_port(), "--store", store, "--queue", "always", "--eta", "0.2",
                  cwd=tmp_path, env={STALL_AFTER_CLAIM: str(claimed)})
    survivor = Mock(free_port(), "--store", store, "--shutdown-grace", "1",
                    *(("--workers", "2") if kind.startswith("sqlite") else ()), cwd=tmp_path)
    try:
        job = call(victim.start().url + V6, _body(webhook=receiver.url))[1]
        assert job["status"] == "processing", job
        pid, *ids = wait_for(lambda: claimed.exists() and claimed.read_text().split(),
                             "the victim's claim")
        assert ids == [str(job["id"])]
        os.kill(int(pid), signal.SIGKILL)
        assert victim.process is not None and victim.process.wait(timeout=START) == -9
        survivor.start()
        wait_for(lambda: [e for e in _journal(survivor) if e["kind"] == "webhook"],
                 "the webhook, sent by the survivor")
        assert receiver.ids() == [job["id"]]  # sent once, by the survivor
        hooks = [e for e in _journal(survivor) if e["kind"] == "webhook"]
        assert [(e["job"], e["outcome"]) for e in hooks] == [(job["id"], "delivered")]
    finally:
        victim.stop()
        survivor.stop()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_ends_the_mock_while_a_request_is_in_flight(tmp_path: Path,
                                                            workers: int) -> None:
    grace = 1
    args = ("--shutdown-grace", str(grace), *(
        ("--workers", "2", "--store", f"sqlite:{tmp_path / 's.sqlite'}") if workers > 1 else ()))
    mock = Mock(free_port(), *args, cwd=tmp_path).start()
    try:
        assert call(mock.url + "/__mock/config", {"latency": 30_000}, "PUT")[0] == 200
        outcome: list[object] = []

        def slow() -> None:
            try:
                outcome.append(call(mock.url + V6, _body()))
            except Exception as exc:  # the connection cut: what a grace period ends with
                outcome.append(exc)

        thread = threading.Thread(target=slow, daemon=True)
        thread.start()
        wait_for(lambda: call(mock.url + "/__mock/health")[1]["journal"] >= 1,
                 "the slow request to reach the mock")
        pids = mock.children()
        assert mock.process is not None
        mock.process.send_signal(signal.SIGTERM)
        mock.process.wait(timeout=grace + START / 2)  # the latency is 30 s
        assert mock.process.returncode is not None
        wait_for(lambda: not any(alive(p) for p in pids), "every worker to stop")
        thread.join(timeout=START)
        assert outcome and not isinstance(outcome[0], tuple)  # cut at the grace period
    finally:
        mock.stop()
