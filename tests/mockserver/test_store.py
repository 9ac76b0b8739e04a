"""The one store interface: every part of the mock's state, in memory and in SQLite (the
Redis store runs the same engine-level checks in tests/shared, against a real redis-server).
"""

from __future__ import annotations

import errno
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.client import BudgetExhausted, SharedBudget
from contracts.control import NAMESPACE_HEADER
from mockserver import Engine, MemoryStore, MockConfig, SqliteStore
from mockserver.jobs import Store
from tests.mockserver._support import ORIGIN, V6, FakeClock, RecordingSender, Wrapped, body
from tests.mockserver.test_jobs import _job


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" \
        else SqliteStore(tmp_path / "state.sqlite")
    yield made
    made.close()


def _engine(store: Store, clock: FakeClock | None = None, **changes: object) -> Engine:
    return Engine(MockConfig().replace(**changes), clock=clock or FakeClock(), store=store,
                  webhooks=RecordingSender())


def _post(engine: Engine, path: str, payload: object, **headers: str) -> dict[str, object]:
    answer = engine.handle("POST", path, {"content-type": "application/json", **headers},
                           json.dumps(payload).encode(), ORIGIN)
    result: dict[str, object] = answer.json()
    return result


def test_the_engine_uses_the_empty_store_it_is_given(store: Store) -> None:
    engine = _engine(store)  # an empty store is falsy: it used to be replaced silently

    _post(engine, V6, body())

    assert engine.store is store and len(store) == 1


def test_ids_never_repeat_in_a_store_life_reset_included(store: Store) -> None:
    engine = _engine(store)
    first = _post(engine, V6, body())["id"]
    engine.reset()
    again = _post(engine, V6, body())["id"]

    assert isinstance(first, int) and isinstance(again, int) and again > first


def test_queued_webhooks_fire_after_a_restart_exactly_once(tmp_path: Path) -> None:
    where = tmp_path / "state.sqlite"
    clock = FakeClock()
    before = Engine(MockConfig(queue="always", eta=5.0), clock=clock,
                    store=SqliteStore(where), webhooks=RecordingSender())
    for i in range(20):
        _post(before, V6, body(webhook="http://127.0.0.1:9/hook", track_id=i))
    before.close()  # the restart: due times lived only in memory, 0 of 20 were sent

    clock.advance(5.0)
    senders = [RecordingSender(), RecordingSender()]
    after = [Engine(MockConfig(queue="always"), clock=clock, store=SqliteStore(where),
                    webhooks=sender) for sender in senders]
    try:
        done = [threading.Thread(target=engine.run_due) for engine in after]
        for thread in done:
            thread.start()
        for thread in done:
            thread.join()
    finally:
        for engine in after:
            engine.close()

    tracks = sorted(p["track_id"] for s in senders for _, p in s.sent)
    assert tracks == list(range(20))  # all of them, each once across the two workers


def test_a_sqlite_store_is_bounded_in_bytes_after_every_insert(tmp_path: Path) -> None:
    # It used to sum the table every 1,024 inserts: up to ~1.2 MB over a 200 KB bound.
    store = SqliteStore(tmp_path / "s.sqlite", max_jobs=10_000, max_bytes=200_000)
    held = []
    try:
        for _ in range(600):
            job_id = store.new_id(0.0)
            store.put(_job(job_id, prompt="x" * 1000), 0.0)
            held.append((store.bytes, len(store)))
        newest = store.get(job_id, 0.0)
        ring = (tmp_path / "s.sqlite-mock-jobs").stat().st_size
    finally:
        store.close()

    assert max(size for size, _ in held) <= 200_000
    assert 140 <= held[-1][1] < 200  # the oldest dropped, only
    assert newest is not None and newest.prompt == "x" * 1000
    assert ring <= 200_000 + 10_000 * 64 + 4096  # (its file: the rows, records and index)


def test_a_sqlite_journal_is_bounded_in_bytes(tmp_path: Path) -> None:
    # It was bounded by entries only: 1,000 answers of 60 KB each held ~60 MB.
    store = SqliteStore(tmp_path / "s.sqlite", journal_bytes=100_000)
    engine = _engine(store)
    try:
        for _ in range(100):
            _post(engine, V6, body(prompt="y" * 5000))
        entries = store.journal.entries()
        kept = store.journal.bytes
    finally:
        engine.close()

    assert kept <= 100_000 and 10 <= len(entries) < 100
    assert [e["seq"] for e in entries] == list(range(101 - len(entries), 101))
    assert entries[-1]["outcome"] == "success" and entries[-1]["response"].endswith(
        "characters)")  # cut as the memory journal shows it


def test_a_sqlite_journal_is_shared_and_outlives_its_process(tmp_path: Path) -> None:
    where = tmp_path / "s.sqlite"
    first, second = SqliteStore(where), SqliteStore(where)
    one, two = _engine(first), _engine(second)
    _post(one, V6, body(track_id=1))
    _post(two, V6, body(track_id=2))
    seen = [e["body"]["track_id"] for e in first.journal.entries()]
    one.close()
    two.close()
    again = SqliteStore(where)
    try:
        kept = [e["body"]["track_id"] for e in again.journal.entries()]
        again.clear()
        cleared = (again.journal.entries(), again.journal.last_seq())
    finally:
        again.close()

    assert seen == kept == [1, 2]
    assert cleared == ([], 0)


def test_a_memory_store_is_bounded_in_bytes() -> None:
    store = MemoryStore(max_jobs=10_000, max_bytes=100_000)
    for _ in range(1000):
        store.put(_job(store.new_id(0.0), prompt="x" * 10_000), 0.0)

    assert store._bytes <= 100_000 and 1 <= len(store) <= 10


# -- namespaces ------------------------------------------------------------------------------


def test_namespaces_keep_jobs_journal_settings_and_resets_apart(store: Store) -> None:
    engine = _engine(store)
    a, b = {NAMESPACE_HEADER: "team-a"}, {NAMESPACE_HEADER: "team-b"}
    admin = {"content-type": "application/json"}

    job = _post(engine, V6, body(), **a)
    engine.handle("POST", "/__mock/config", {**admin, **b}, b'{"queue": "always"}', ORIGIN)
    queued = _post(engine, V6, body(), **b)
    fetch = f"/api/v6/images/fetch/{job['id']}"

    assert job["status"] == "success" and queued["status"] == "processing"
    assert _post(engine, fetch, {"key": "test-key"}, **a)["status"] == "success"
    assert _post(engine, fetch, {"key": "test-key"}, **b)["status"] == "error"  # not b's job
    assert _post(engine, fetch, {"key": "test-key"})["status"] == "error"  # nor the shared one's
    seen = json.loads(engine.handle("GET", "/__mock/journal", b, b"", ORIGIN).body)
    assert [(e["path"], e.get("job")) for e in seen["entries"]] == \
        [(V6, queued["id"]), (fetch, None)]
    assert engine.config.queue == "never"  # b's settings are b's

    engine.handle("POST", "/__mock/reset", b, b"", ORIGIN)
    assert _post(engine, fetch, {"key": "test-key"}, **a)["status"] == "success"  # a runs on
    assert json.loads(engine.handle("GET", "/__mock/journal", b, b"", ORIGIN).body) == \
        {"entries": []}
    assert _post(engine, V6, body(), **b)["status"] == "success"  # b's settings reset


def test_the_dashboards_journal_and_jobs_views_are_a_namespaces_own(store: Store) -> None:
    engine = _engine(store)
    a, b = {NAMESPACE_HEADER: "team-a"}, {NAMESPACE_HEADER: "team-b"}
    mine = _post(engine, V6, body(), **a)
    theirs = _post(engine, V6, body(), **b)

    def view(path: str, **headers: str) -> dict[str, object]:
        answer = engine.handle("GET", f"/__mock/{path}", headers, b"", ORIGIN)
        assert answer.status == 200, answer.body
        data: dict[str, object] = json.loads(answer.body)
        return data

    page = view("journal?since=0", **a)
    jobs = view("jobs", **a)
    under_path = json.loads(engine.handle("GET", "/__ns/team-a/__mock/jobs", {}, b"",
                                          ORIGIN).body)
    everything = view("jobs")

    assert [e["job"] for e in page["entries"]] == [mine["id"]]  # type: ignore[index,union-attr]
    assert [j["id"] for j in jobs["jobs"]] == [mine["id"]]  # type: ignore[index,union-attr]
    assert under_path == jobs
    refused = engine.handle("POST", f"/__mock/jobs/{theirs['id']}/finish", a, b"", ORIGIN)
    assert refused.status == 404  # a namespace ends only its own jobs
    assert {j["id"] for j in everything["jobs"]} == \
        {mine["id"], theirs["id"]}  # type: ignore[index,union-attr]


def test_a_namespace_in_the_path_carries_into_the_links() -> None:
    engine = _engine(MemoryStore(), queue="always")
    answer = _post(engine, "/__ns/run-1/api/v6/images/text2img", body())
    fetch = str(answer["fetch_result"])

    assert fetch.startswith(ORIGIN + "/__ns/run-1/")
    assert _post(engine, fetch.removeprefix(ORIGIN), {"key": "test-key"})["status"] == "processing"
    assert _post(engine, fetch.removeprefix(ORIGIN + "/__ns/run-1"),
                 {"key": "test-key"})["status"] == "error"
    refused = engine.handle("POST", "/__ns/bad%20name/api/v6/images/text2img", {}, b"{}",
                            ORIGIN)
    assert refused.status == 400


# -- the budget shared by xdist workers ------------------------------------------------------


def test_a_shared_budget_is_never_exceeded_by_several_holders(tmp_path: Path) -> None:
    path = str(tmp_path / "budget")
    holders = [SharedBudget(5, path=path) for _ in range(3)]
    refused = []

    def spend(budget: SharedBudget) -> None:
        for _ in range(10):
            try:
                budget.spend()
            except BudgetExhausted:
                refused.append(1)

    threads = [threading.Thread(target=spend, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert holders[0].total() == 5 == sum(h.used for h in holders)
    assert len(refused) == 25 and all(h.exhausted for h in holders)


def test_a_sqlite_store_never_writes_an_api_key(tmp_path: Path, store: Store) -> None:
    # Journal entries are stored as the journal shows them: the key redacted, and scrubbed
    # from the response; the file (and its log) never hold it.
    secret = "sk-live-0123456789abcdef"
    engine = _engine(store)
    _post(engine, V6, body(key=secret))
    shown = engine.journal.entries()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("state.sqlite*"))
    engine.close()

    assert secret.encode() not in stored
    assert secret not in json.dumps(shown)
    assert shown[-1]["key"] == shown[-1]["body"]["key"] and shown[-1]["key"].startswith("***")


def test_a_sqlite_journal_made_with_other_bounds_is_taken_as_made(tmp_path: Path) -> None:
    # Remaking the ring under a worker that maps it would pull its pages away (SIGBUS).
    where = tmp_path / "s.sqlite"
    first = SqliteStore(where, journal_bytes=100_000)
    engine = _engine(first)
    _post(engine, V6, body(track_id=7))
    second = SqliteStore(where)
    try:
        seen = [e["body"]["track_id"] for e in second.journal.entries()]
        bound = second.journal.max_bytes
        _post(engine, V6, body(track_id=8))
        both = [e["body"]["track_id"] for e in second.journal.entries()]
    finally:
        engine.close()
        second.close()

    assert seen == [7] and bound == 100_000 and both == [7, 8]


def test_served_requests_of_one_loop_turn_share_one_commit_before_they_are_answered(
        tmp_path: Path) -> None:
    import asyncio

    where = tmp_path / "s.sqlite"
    store, other = SqliteStore(where), SqliteStore(where)
    engine = _engine(store)
    commits = []

    def counted() -> None:
        commits.append(store.uncommitted)
        store.commit()

    engine._group.store = Wrapped(store, commit=counted)  # (the store its turns commit)
    headers = {"content-type": "application/json"}

    async def turn() -> list[dict[str, object]]:
        answers = await asyncio.gather(*(
            engine.grouped("POST", V6, headers, json.dumps(body(track_id=i)).encode(), ORIGIN)
            for i in range(8)))
        return [answer.json() for answer in answers]

    try:
        answers = asyncio.run(turn())
        seen = [other.get(int(str(a["id"])), 0.0) for a in answers]
    finally:
        engine.close()
        other.close()

    assert engine.groups and commits == [True]  # one commit for the eight
    assert all(job is not None for job in seen)  # each stored before it was answered


def test_a_request_whose_writes_another_thread_is_committing_waits_for_that_commit(
        tmp_path: Path) -> None:
    """The timers thread (or a webhook's report) commits what requests left to their turn's
    commit. A request whose writes such a commit took, begun after the request was handled
    and before it was answered, was answered at once (the writes were no longer left to
    its turn): before they were stored, and as done when that commit then failed."""
    import asyncio
    import sqlite3

    from mockserver._group_commit import GroupCommit

    store = SqliteStore(tmp_path / "s.sqlite")
    engine = _engine(store)
    db, real = store._db, store._db.conn
    committing, answering = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    class FailingCommit:
        """The connection, whose next COMMIT waits until the request is being answered, then
        fails (a full disk, an I/O error)."""

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if sql == "COMMIT":
                db.conn = real
                committing.set()
                answering.wait()
                raise sqlite3.OperationalError("disk I/O error")
            return real.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    def timers() -> None:  # (what the timers thread does at each poll: claim due jobs)
        try:
            store.pending.pop_due(0.0)
        except sqlite3.OperationalError as exc:
            failed.append(exc)

    other = threading.Thread(target=timers)

    def handle() -> Any:
        answer = engine.handle("POST", V6, {"content-type": "application/json"},
                               json.dumps(body()).encode(), ORIGIN)
        db.conn = FailingCommit()  # type: ignore[assignment]
        other.start()
        committing.wait()  # the other thread's commit has begun, with this request's writes
        asyncio.get_running_loop().call_soon(answering.set)  # (before the turn's commit)
        return answer

    try:
        answer = asyncio.run(GroupCommit(store).run(handle, "legacy"))
    finally:
        answering.set()
        other.join()
        db.conn = real
    try:
        assert failed and len(store) == 0  # the request's writes were lost
        assert answer.json() == {"status": "error", "message": "Server error, try again later"}
    finally:
        engine.close()


def test_a_namespace_record_another_version_wrote_leaves_the_mock_answering(
        tmp_path: Path) -> None:
    """A SQLite file outlives the mock's version (restarts, a worker not yet upgraded). A
    namespace's settings naming a setting this version lacks, or a value it refuses, made
    every request of every namespace fail: each re-reads all of the records."""
    where = tmp_path / "state.sqlite"
    engine = _engine(SqliteStore(where))
    older = SqliteStore(where)  # (a worker of another version, on the same file)
    try:
        older.set_settings("old", json.dumps({"settings": {"queue": "always", "eta": 9.0,
                                                           "retired": 1},
                                              "jobs_after": 0, "journal_after": 0}))
        older.set_settings("odd", json.dumps({"settings": {"max_jobs": 0},
                                              "jobs_after": 0, "journal_after": 0}))

        assert _post(engine, V6, body())["status"] == "success"
        queued = _post(engine, V6, body(), **{NAMESPACE_HEADER: "old"})
        assert queued["status"] == "processing" and queued["eta"] == 9.0  # (its known ones)
        assert _post(engine, V6, body(), **{NAMESPACE_HEADER: "odd"})["status"] == "success"
    finally:
        older.close()
        engine.close()


def test_a_claimed_webhook_leaves_the_sqlite_stores_due_count(tmp_path: Path) -> None:
    """A claim moves the entry to its lease (an UPDATE of its kind): the running count the
    store keeps by triggers follows it, as a count of the table would."""
    store = SqliteStore(tmp_path / "mock.sqlite3")
    try:
        store.scheduled.push(1.0, 7, 0.0, 100)
        assert len(store.scheduled) == 1
        assert store.scheduled.claim(2.0, 7.0) == [(7, False)]
        assert len(store.scheduled) == 0
        assert store.scheduled.claim(8.0, 13.0) == [(7, True)]  # the lease expired
        store.scheduled.done(7)
        assert len(store.scheduled) == 0 and store.scheduled.next() is None
    finally:
        store.close()


def test_a_key_echoed_in_another_field_is_hidden_in_every_stores_journal(store: Store) -> None:
    """Main's `Record.to_json` scrubs the key from every field of the body; the SQLite
    journal, which redacts before it writes, shows the same."""
    from contracts.redaction import redact_key
    from tests.contracts import _leaks

    key = _leaks.KEY
    echoed = " ".join(_leaks.echoes(key).values())
    engine = _engine(store)
    _post(engine, V6, body(key=key, prompt=echoed, negative_prompt=key))
    (entry,) = engine.journal.entries()
    engine.close()

    assert entry["body"]["key"] == redact_key(key)
    assert redact_key(key) in entry["body"]["negative_prompt"]
    assert _leaks.revealed(json.dumps(entry)) == []


def test_a_job_read_again_is_decoded_once_and_still_seen_as_other_workers_change_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQLite store keeps the jobs it decoded lately: a job polled again is the same
    object while its row is unchanged, and a change another worker made (an end, a drop) is
    seen at once; the cache is bounded."""
    from mockserver import sqlite_store

    where = tmp_path / "s.sqlite"
    mine, other = SqliteStore(where), SqliteStore(where)
    try:
        mine.put(_job(1), 0.0)
        first = other.get(1, 0.0)
        assert first is not None and other.get(1, 0.0) is first and not first.finished
        assert mine.finish(1)
        ended = other.get(1, 0.0)
        assert ended is not None and ended.finished and ended is not first
        mine.clear()
        assert other.get(1, 0.0) is None
        monkeypatch.setattr(sqlite_store, "DECODED_JOBS", 4)
        for job_id in range(2, 12):
            mine.put(_job(job_id), 0.0)
            assert other.get(job_id, 0.0) is not None
        assert 0 < len(other._decoded) <= 4
    finally:
        mine.close()
        other.close()


def test_a_key_folded_to_ascii_is_hidden_in_every_stores_journal(store: Store) -> None:
    """A body the SQLite journal writes with the stdlib (an integer past 64 bits) is ASCII-
    only JSON: a KELVIN SIGN in the key's URL form, which `scrub` hides (case folding), was
    spelled \\u212a there and the journal kept the key's form that the memory journal hides."""
    from contracts.redaction import redact_key

    key = "sk-live-key/12345"
    engine = _engine(store)
    _post(engine, V6, {**body(key=key, prompt="s\u212a-live-key%2F12345"), "n": 2 ** 70})
    (entry,) = engine.journal.entries()
    engine.close()

    assert entry["body"]["prompt"] == redact_key(key)


@pytest.mark.parametrize("echo", ["url", "base64", "base64 at offset 1"])
def test_a_key_echoed_only_encoded_in_the_response_is_hidden_in_every_stores_journal(
        store: Store, echo: str) -> None:
    """The answer echoes the prompt (`meta.prompt`). The memory journal scrubs every form of
    the key from a response; the SQLite journal scrubbed it only when the response held the
    key as itself or a backslash, so a prompt holding the key URL-encoded or in base64 (and
    nothing else) was kept readable in its response."""
    from tests.contracts import _leaks

    key = _leaks.KEY
    engine = _engine(store)
    _post(engine, V6, body(key=key, prompt=_leaks.echoes(key)[echo]))
    (entry,) = engine.journal.entries()
    engine.close()

    assert _leaks.revealed(json.dumps(entry["response"])) == []


def test_a_request_whose_writes_another_threads_commit_lost_is_not_answered_success(
        tmp_path: Path) -> None:
    """A served request leaves its writes to the loop turn's commit. Another thread of the
    process (the timers, an image render) may commit them first, between the request's end
    and its wait for the commit: when that commit fails, the request must get the server
    error (the store keeps the failure for the group's commit), not a success for a job that
    was never stored."""
    import asyncio

    store = SqliteStore(tmp_path / "s.sqlite")
    engine = _engine(store)
    db = store._db
    ring = db.jobs

    def full(rows: list[Any]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def raced() -> Any:
        made_now = engine.handle("POST", V6, {"content-type": "application/json"},
                                 json.dumps(body()).encode(), ORIGIN)
        db.jobs = Wrapped(ring, write=full)  # (the other thread's commit, which fails)
        try:
            with pytest.raises(OSError):
                db.commit()
        finally:
            db.jobs = ring
        return made_now

    sent: list[Any] = []

    async def turn() -> Any:
        now = engine._group.answer(raced, "legacy", sent.append)
        await asyncio.sleep(0)  # (the loop turn's commit: one call_soon)
        return now

    try:
        now = asyncio.run(turn())
        stored = len(store)
    finally:
        engine.close()

    answer = now if now is not None else sent[0]
    assert stored == 0 and answer.json() == {"status": "error",
                                             "message": "Server error, try again later"}


def test_a_key_echoed_in_the_answer_to_a_body_too_large_to_keep_is_hidden(
        store: Store) -> None:
    """The journal keeps no body over `JOURNAL_BODY_BYTES`, and the response is scrubbed of
    the secrets of the body it keeps: a body too large to keep (a valid request) whose
    answer echoes the key (`meta.prompt`) was journaled with the key in its response."""
    from mockserver.limits import JOURNAL_BODY_BYTES
    from tests.contracts import _leaks

    key = _leaks.KEY
    engine = _engine(store)
    answer = _post(engine, V6, {**body(key=key, prompt=f"a fox {key}"),
                                "pad": "x" * JOURNAL_BODY_BYTES})
    (entry,) = engine.journal.entries()
    engine.close()

    assert answer["status"] == "success" and "body" not in entry
    assert _leaks.revealed(json.dumps(entry)) == []


def test_a_secret_field_nested_in_the_body_is_hidden_wherever_it_is_echoed(
        store: Store) -> None:
    """A secret field inside an object or list of the body (redacted where it stands) is also
    scrubbed from the body's other fields and from the answer, in every store's journal."""
    nested = "nested-secret-0123456789"
    engine = _engine(store)
    _post(engine, V6, body(prompt=f"a fox {nested}", extra={"auth": [{"api_key": nested}]}))
    (entry,) = engine.journal.entries()
    engine.close()

    assert nested not in json.dumps(entry)
    assert "a fox ***" in entry["body"]["prompt"]


def test_a_track_id_past_64_bits_reads_back_exactly_in_another_worker(tmp_path: Path) -> None:
    """`Job.encoded` writes an integer orjson refuses with the stdlib; the worker that reads
    the row (a fetch, the webhook's `track_id`) must get the same integer back."""
    writer, reader = (SqliteStore(tmp_path / "state.sqlite") for _ in range(2))
    try:
        job = _job(writer.new_id(0.0), track_id=2**70)
        writer.put(job, 0.0)

        found = reader.get(job.id, 0.0)
        assert found is not None and found.track_id == 2**70 and type(found.track_id) is int
    finally:
        writer.close()
        reader.close()


def test_a_job_whose_prompt_holds_a_lone_surrogate_is_fetched_from_another_worker(
        tmp_path: Path) -> None:
    """orjson refuses a lone surrogate: `Job.encoded` writes the job with the stdlib (the
    surrogate escaped), and the worker that reads the row must read it back, not answer a 500
    (eng5's finding: `Job.from_json` used orjson alone)."""
    writer, reader = (SqliteStore(tmp_path / "state.sqlite") for _ in range(2))
    try:
        job = _job(writer.new_id(0.0), prompt="a \ud800 b")
        writer.put(job, 0.0)

        found = reader.get(job.id, 0.0)
        assert found is not None and found.prompt == "a \ud800 b"
    finally:
        writer.close()
        reader.close()


def test_a_namespaces_own_settings_are_what_it_reads_and_its_links_use(store: Store) -> None:
    """A namespace's settings apply to it whole: `GET /__mock/config` shows them (it showed
    the shared ones), its links take its `origin` (they took the request's), and the shared
    `origin` keeps a namespace's path prefix (it dropped it)."""
    engine = _engine(store)
    ns = {NAMESPACE_HEADER: "team-a"}
    admin = {"content-type": "application/json"}
    engine.handle("POST", "/__mock/config", {**admin, **ns},
                  b'{"origin": "https://ns.example/", "queue": "always"}', ORIGIN)

    shown = json.loads(engine.handle("GET", "/__mock/config", ns, b"", ORIGIN).body)
    queued = _post(engine, V6, body(), **ns)
    assert shown["origin"] == "https://ns.example/" and shown["queue"] == "always"
    assert str(queued["fetch_result"]).startswith("https://ns.example/api/")
    assert json.loads(engine.handle("GET", "/__mock/config", {}, b"", ORIGIN).body)[
        "origin"] is None  # the shared settings are the shared ones

    engine.handle("POST", "/__mock/config", admin,
                  b'{"origin": "https://shared.example", "queue": "always"}', ORIGIN)
    under_path = _post(engine, "/__ns/run-1/api/v6/images/text2img", body())
    assert str(under_path["fetch_result"]).startswith("https://shared.example/__ns/run-1/")


def test_an_unexpected_failure_in_a_namespace_answers_in_its_error_mode(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(store)
    ns = {NAMESPACE_HEADER: "team-a"}
    engine.handle("POST", "/__mock/config", {"content-type": "application/json", **ns},
                  b'{"error_mode": "http"}', ORIGIN)

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine._applier, "store", Wrapped(engine._applier.store, put=broken))
    inside = engine.handle("POST", V6, {"content-type": "application/json", **ns},
                           json.dumps(body()).encode(), ORIGIN)
    outside = engine.handle("POST", V6, {"content-type": "application/json"},
                            json.dumps(body()).encode(), ORIGIN)
    assert inside.status == 500 and outside.status == 200  # (legacy: the error in a 200)
    assert json.loads(inside.body) == json.loads(outside.body) == \
        {"status": "error", "message": "Server error, try again later"}
