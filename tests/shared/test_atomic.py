"""Issue 11: the writes that must be atomic across workers are, in every store.

- The rate limit's check and count are one step (`LimiterLike.reserve`): two mocks on one
  store never both let a request through the last place in the window.
- A webhook claim is a lease (`mockserver.leases`): a holder that dies before recording the
  delivery leaves it to the others once the lease expires; a live holder renews it, and a
  recorded delivery is never sent again.
- The Redis store is bounded in bytes as well as count.

Several store objects on one state stand for several workers (each has its own connection).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver import Engine, MemoryStore, MockConfig, SqliteStore
from mockserver.jobs import Store, StoreFull
from mockserver.leases import LEASE_SECONDS
from mockserver.ratelimit import RateLimiter
from mockserver.redis_store import RedisStore
from mockserver.webhooks import ThreadedSender
from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, Wrapped, body
from tests.mockserver.test_jobs import _job

FETCH = "/api/v6/images/fetch"


@pytest.fixture
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Makes store objects on one state (memory: the same object; SQLite: one file; Redis:
    the session's server), closed at the end."""
    made: list[Store] = []
    kind = request.param
    url = request.getfixturevalue("redis_db") if kind == "redis" else ""
    memory = MemoryStore()

    def make() -> Store:
        store: Store = memory if kind == "memory" else \
            SqliteStore(tmp_path / "state.sqlite") if kind == "sqlite" else RedisStore(url)
        made.append(store)
        return store

    yield make
    for store in {id(s): s for s in made}.values():
        store.close()


def _engine(store: Store, clock: FakeClock, sender: Any = None, **changes: Any) -> Engine:
    return Engine(MockConfig().replace(**changes), clock=clock, store=store,
                  webhooks=sender or RecordingSender(), timers=False)


def _post(engine: Engine, path: str, payload: object,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    answer = engine.handle("POST", path, {"content-type": "application/json", **(headers or {})},
                           json.dumps(payload).encode(), ORIGIN)
    return answer.status, answer.json()


# -- the rate limit ----------------------------------------------------------------------------


@pytest.mark.parametrize("stores", ["memory", "redis"], indirect=True)
def test_two_mocks_never_both_take_the_last_place_in_the_window(
        stores: Callable[[], Store], monkeypatch: pytest.MonkeyPatch) -> None:
    """Mock A has asked the limiter and is deciding when mock B's request comes: B must be
    refused. (SQLite serialises whole requests in a write transaction, so B would wait for A
    there; its primitive is hammered below.)"""
    clock = FakeClock()
    a, b = (_engine(stores(), clock, rate_limit=1) for _ in range(2))
    deciding, b_done = threading.Event(), threading.Event()
    limiter = a._limiter

    def slow_for_a(*args: Any) -> Any:  # (A has its place, and decides until B is done)
        reserved = limiter.reserve(*args)
        deciding.set()
        assert b_done.wait(30), "mock B's request did not end"
        return reserved

    monkeypatch.setattr(a, "_limiter", Wrapped(limiter, reserve=slow_for_a))
    answers: list[tuple[int, dict[str, Any]]] = []
    thread = threading.Thread(target=lambda: answers.append(_post(a, V6, body())),
                              name="mock-a")
    thread.start()
    assert deciding.wait(30)
    answers.append(_post(b, V6, body()))
    b_done.set()
    thread.join(30)

    assert sorted(answer["status"] for _, answer in answers) == ["error", "success"]


@pytest.mark.parametrize("stores", ["memory", "sqlite", "redis"], indirect=True)
def test_reserve_admits_exactly_the_limit_under_concurrent_workers(
        stores: Callable[[], Store]) -> None:
    workers, each, limit = 8, 25, 50
    limiters = [stores().limiter for _ in range(workers)]
    start = threading.Barrier(workers)
    admitted: list[int] = []
    lock = threading.Lock()

    def hammer(i: int) -> None:
        start.wait()
        got = sum(limiters[i].reserve("key", limit, 100.0) is None for _ in range(each))
        with lock:
            admitted.append(got)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(admitted) == limit  # of 200 asked at once by 8 workers
    assert limiters[0].reserve("key", limit, 100.0) == 60
    for limiter in limiters[:3]:  # three decisions that did not count, taken back
        limiter.release("key", 100.0)
    assert [limiters[1].reserve("key", limit, 101.0) for _ in range(4)] == [None] * 3 + [59]
    assert limiters[2].reserve("key", limit, 100.0 + 60) is None  # the window has slid


def test_keys_taken_back_forget_no_other_keys_window() -> None:
    limiter = RateLimiter(keys=2)
    for name in ("a", "b"):
        assert limiter.reserve(name, 1, 0.0) is None
    for bad in range(5):  # refused before the limit (a bad key): reserved, then taken back
        assert limiter.reserve(f"bad{bad}", 1, 0.0) is None
        limiter.release(f"bad{bad}", 0.0)

    assert limiter.reserve("a", 1, 1.0) == 59 and limiter.reserve("b", 1, 1.0) == 59
    assert len(limiter) == 2


@pytest.mark.parametrize("stores", ["memory", "sqlite", "redis"], indirect=True)
def test_a_request_refused_before_the_limit_is_not_counted(stores: Callable[[], Store]) -> None:
    clock = FakeClock()
    a, b = (_engine(stores(), clock, rate_limit=1) for _ in range(2))

    refused = _post(a, V6, body(prompt="x" * a.config.max_body_bytes))  # 413: not counted
    forced = _post(b, V6, body(), {"prefer": "error=no_credits"})  # not counted
    first, second = _post(b, V6, body()), _post(a, V6, body())

    assert [refused[1]["status"], forced[1]["status"], first[1]["status"]] == \
        ["error", "error", "success"]
    assert second[1]["message"].startswith("Rate limit exceeded")


# -- webhook leases ----------------------------------------------------------------------------


class HeldSender(RecordingSender):
    """Takes webhooks and reports nothing until `release()`: a delivery in flight, or (never
    released) one whose mock died before recording it."""

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[Callable[[dict[str, Any]], None]] = []

    def send(self, url: str, payload: dict[str, Any], report: Any) -> None:
        self.sent.append((url, payload))
        self.reports.append(report)

    def release(self) -> None:
        for report in self.reports:
            report({"kind": "webhook", "url": "", "outcome": "delivered", "attempts": 1})
        self.reports.clear()


def _ids(sender: RecordingSender) -> list[int]:
    return [int(payload["id"]) for _, payload in sender.sent]


def _two_mocks(stores: Callable[[], Store], first: Any, second: Any
               ) -> tuple[FakeClock, Engine, Engine, dict[str, Any]]:
    """Mock A (sending with `first`) queued a job with a webhook that is now due; mock B
    (sending with `second`) shares its store."""
    clock = FakeClock()
    a = _engine(stores(), clock, first, queue="always", eta=1.0)
    b = _engine(stores(), clock, second)
    job = _post(a, V6, body(webhook="http://127.0.0.1:9/hook"))[1]
    clock.advance(1.0)
    return clock, a, b, job


@pytest.mark.parametrize("stores", ["sqlite", "redis"], indirect=True)
@pytest.mark.parametrize("ended_by", ["timer", "fetch"])
def test_a_webhook_whose_holder_died_is_sent_by_another_mock(
        stores: Callable[[], Store], ended_by: str) -> None:
    dead, other = HeldSender(), RecordingSender()
    clock, a, b, job = _two_mocks(stores, dead, other)
    if ended_by == "timer":
        assert a.run_due() == 1  # claimed, handed to the sender: then mock A dies
    else:
        assert _post(a, f"{FETCH}/{job['id']}", {"key": "test-key"})[1]["status"] == "success"
    assert _ids(dead) == [job["id"]]

    assert b.run_due() == 0 and other.sent == []  # leased to A
    clock.advance(LEASE_SECONDS)
    assert b.run_due() == 1 and _ids(other) == [job["id"]]  # A's lease expired: B sends
    clock.advance(LEASE_SECONDS)
    assert b.run_due() == 0 and _ids(other) == [job["id"]]  # recorded: never again
    entries = [e for e in b.journal.entries() if e["kind"] == "webhook"]
    assert [e["job"] for e in entries] == [job["id"]]


@pytest.mark.parametrize("stores", ["sqlite", "redis"], indirect=True)
def test_a_webhook_dropped_by_a_stopping_mock_is_sent_by_another(
        stores: Callable[[], Store]) -> None:
    stopping, other = ThreadedSender(), RecordingSender()
    stopping.close()  # SIGTERM: what it is handed now is dropped (and journaled as such)
    clock, a, b, job = _two_mocks(stores, stopping, other)
    assert a.run_due() == 1
    assert [e["outcome"] for e in a.journal.entries() if e["kind"] == "webhook"] == ["dropped"]

    clock.advance(LEASE_SECONDS)
    assert b.run_due() == 1 and _ids(other) == [job["id"]]


@pytest.mark.parametrize("stores", ["sqlite", "redis"], indirect=True)
def test_a_live_holder_renews_its_lease_and_the_webhook_goes_once(
        stores: Callable[[], Store]) -> None:
    slow, other = HeldSender(), RecordingSender()
    clock, a, b, job = _two_mocks(stores, slow, other)
    assert a.run_due() == 1
    for _ in range(4):  # the delivery waits for longer than a lease; A renews it meanwhile
        clock.advance(LEASE_SECONDS / 2)
        a.run_due()
        assert b.run_due() == 0
    slow.release()  # recorded
    clock.advance(2 * LEASE_SECONDS)

    assert a.run_due() == 0 and b.run_due() == 0
    assert _ids(slow) == [job["id"]] and other.sent == []


# -- the Redis store in bytes ------------------------------------------------------------------


def test_the_redis_store_is_bounded_in_bytes_evicting_ended_jobs_first(redis_db: str) -> None:
    size = len(_job(1, prompt="x" * 1000).to_json())
    store = RedisStore(redis_db, max_bytes=10 * size + size // 2)
    try:
        pending = _job(store.new_id(0.0), due=100.0, prompt="y" * 1000)
        store.put(pending, 0.0)
        for _ in range(40):
            store.put(_job(store.new_id(0.0), prompt="x" * 1000), 0.0)
        kept = [i for i in range(1, store.last_id() + 1) if store.get(i, 0.0) is not None]
        total = int(store._db.get("modelslab-mock:bytes"))

        assert total <= store.max_bytes and len(kept) == 10
        assert kept == [pending.id, *range(store.last_id() - 8, store.last_id() + 1)]
        for _ in range(9):  # now fill it with jobs that have not ended
            store.put(_job(store.new_id(0.0), due=100.0, prompt="x" * 1000), 0.0)
        with pytest.raises(StoreFull):
            store.put(_job(store.new_id(0.0), due=100.0, prompt="x" * 1000), 0.0)
        store.put(_job(store.new_id(0.0), prompt="x" * 1000), 100.0)  # due now: room again
    finally:
        store.close()


def test_a_redis_store_full_of_unfinished_jobs_refuses_new_work_as_the_api_does(
        redis_db: str) -> None:
    store = RedisStore(redis_db, max_bytes=10_000)  # a few jobs' worth (~3 KB each)
    clock = FakeClock()
    engine = _engine(store, clock, queue="always", eta=30.0, error_mode="http")
    try:
        answers = [_post(engine, V6, body(prompt=f"job {i} " + "z" * 1000)) for i in range(8)]
        queued = [a for status, a in answers if status == 200]
        refused = engine.handle("POST", V6, {"content-type": "application/json"},
                                json.dumps(body(prompt="one too many " + "z" * 1000)).encode(),
                                ORIGIN)

        assert 1 <= len(queued) < 8 and refused.status == 429
        assert refused.json()["message"].startswith("Rate limit exceeded")
        assert 1 <= int(refused.headers["retry-after"]) <= 30
        for job in queued:  # no pending job was evicted to make room
            assert _post(engine, f"{FETCH}/{job['id']}", {"key": "test-key"})[0] == 200
            assert store.get(job["id"], clock()) is not None
        clock.advance(30.0)
        assert _post(engine, V6, body(prompt="after"))[1]["status"] == "processing"
    finally:
        engine.close()


@pytest.mark.parametrize("stores", ["memory", "sqlite", "redis"], indirect=True)
def test_a_body_with_an_integer_past_64_bits_is_answered_and_journaled_in_every_store(
        stores: Callable[[], Store]) -> None:
    """orjson refuses an integer past 64 bits: the memory and SQLite journals fall back to the
    stdlib's JSON; the Redis journal did not, so the request got the server error there (and
    what the stdlib writes, NaN, must read back)."""
    engine = _engine(stores(), FakeClock())
    answer = engine.handle("POST", V6, {"content-type": "application/json"},
                           json.dumps({**body(), "n": 2 ** 70, "x": math.nan}).encode(), ORIGIN)
    (entry,) = engine.journal.entries()
    engine.close()

    assert answer.json()["status"] == "success"
    assert entry["outcome"] == "success" and entry["body"]["n"] == 2 ** 70
    assert math.isnan(entry["body"]["x"])
