"""The Redis store: one state for mocks on several hosts (see `mockserver.jobs.Store`).

`--store redis://HOST:PORT/DB`. Every key starts with `PREFIX`. What must be atomic across
mocks is one Redis command or script: ids (`INCR`, never reset), a job's end (a script that
sets its `finished` field once), due-job claims (`ZREM`: one mock gets each; webhook leases: a
script moves the due entries to a lease set), journal appends (a script: next seq, push,
trim), the rate limit's check and count (a script on the key's sorted set), and storing a job
within the bounds (a script: jobs expire with their TTL, are trimmed to `max_jobs`, and to
`max_bytes` of job text by evicting ended or due jobs oldest first; full of jobs that have not
ended, it refuses the new one: `StoreFull`).
"""

from __future__ import annotations

import json
import math
import os
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import orjson

from mockserver import _redis_scripts as _scripts
from mockserver.jobs import SCOPES, STORE_BYTES, Job, StoreFull
from mockserver.journal import JOURNAL_SIZE, Entry
from mockserver.ratelimit import WINDOW

PREFIX = "modelslab-mock:"
#: Seconds a Redis command may take before the request fails (a 500, logged).
SOCKET_TIMEOUT = 5.0


def _connect(url: str) -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - redis is a dependency of the extra
        raise ValueError("a redis:// store needs the redis package: "
                         "pip install 'modelslab-contract[redis]'") from exc
    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT,
                                socket_connect_timeout=SOCKET_TIMEOUT)


class RedisJournal:
    keeps = False

    def __init__(self, db: Any, size: int = JOURNAL_SIZE) -> None:
        self._db = db
        self.size = size
        self._add = db.register_script(_scripts.JOURNAL_ADD)

    def add(self, entry: Entry) -> None:
        shown = [entry.kind, entry.scope, entry.to_json(0)]
        try:
            payload = orjson.dumps(shown)
        except TypeError:  # what orjson refuses (an integer past 64 bits in a body): the
            payload = json.dumps(shown, separators=(",", ":")).encode()  # stdlib's, as SQLite
        self._add(keys=[PREFIX + "journal", PREFIX + "journal-seq"], args=[payload, self.size])

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        out = []
        for raw in self._db.lrange(PREFIX + "journal", 0, -1):
            seq_text, _, payload = raw.partition(b" ")
            seq = int(seq_text)
            if seq <= after:
                continue
            try:
                its_kind, its_scope, entry = orjson.loads(payload)
            except orjson.JSONDecodeError:  # NaN and the like, written by the stdlib
                its_kind, its_scope, entry = json.loads(payload)
            if (kind is None or its_kind == kind) and (scope is None or its_scope == scope):
                entry["seq"] = seq
                out.append(entry)
        return out

    def last_seq(self) -> int:
        return int(self._db.get(PREFIX + "journal-seq") or 0)

    def clear(self) -> None:
        self._db.delete(PREFIX + "journal")

    def __len__(self) -> int:
        return int(self._db.llen(PREFIX + "journal"))


class RedisLimiter:
    """Request times per key name in a sorted set each (expiring with the window)."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self._reserve = db.register_script(_scripts.RESERVE)
        self._release = db.register_script(_scripts.RELEASE)

    def wait(self, name: str, limit: int, now: float) -> int | None:
        key = PREFIX + "hits:" + name
        pipe = self._db.pipeline(transaction=False)
        pipe.zremrangebyscore(key, "-inf", now - WINDOW)
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        _, count, first = pipe.execute()
        if count >= limit and first:
            return max(1, math.ceil(float(first[0][1]) + WINDOW - now))
        return None

    def count(self, name: str, now: float) -> None:
        key = PREFIX + "hits:" + name
        pipe = self._db.pipeline(transaction=False)
        pipe.zadd(key, {f"{now!r}:{os.urandom(6).hex()}": now})
        pipe.expire(key, int(WINDOW) + 1)
        pipe.execute()

    def reserve(self, name: str, limit: int, now: float) -> int | None:
        """`wait` and, when it says go, `count`: one script, so no other mock reads the
        window in between."""
        first = self._reserve(keys=[PREFIX + "hits:" + name], args=[
            repr(now - WINDOW), repr(now), limit, os.urandom(6).hex(), int(WINDOW) + 1])
        return None if first is None else max(1, math.ceil(float(first) + WINDOW - now))

    def release(self, name: str, now: float) -> None:
        self._release(keys=[PREFIX + "hits:" + name], args=[repr(now)])

    def clear(self) -> None:
        keys = list(self._db.scan_iter(PREFIX + "hits:*", count=1000))
        if keys:
            self._db.delete(*keys)


class RedisDue:
    """Due times in a sorted set; a claim is a `ZREM` (it returns 1 to one mock only). Leased
    entries (`mockserver.leases`) live in a second set, scored by the lease's end."""

    def __init__(self, db: Any, kind: str) -> None:
        self._db = db
        self.key = PREFIX + "due:" + kind
        self.leased = PREFIX + "lease:" + kind
        self._claim = db.register_script(_scripts.CLAIM)
        self._pushes = 0

    def push(self, due: float, job_id: int, now: float, bound: int) -> None:
        self._db.zadd(self.key, {str(job_id): due})
        self._pushes += 1
        if self._pushes % 64 == 0:
            self._db.zremrangebyrank(self.key, 0, -bound - 1)

    def count(self, now: float) -> int:
        return int(self._db.zcount(self.key, f"({now!r}", "+inf"))

    def pop_due(self, now: float) -> list[int]:
        due = self._db.zrangebyscore(self.key, "-inf", now)
        if not due:
            return []
        pipe = self._db.pipeline(transaction=False)
        for member in due:
            pipe.zrem(self.key, member)
        return sorted(int(m) for m, won in zip(due, pipe.execute(), strict=True) if won)

    def claim(self, now: float, until: float) -> list[tuple[int, bool]]:
        first, again = self._claim(keys=[self.key, self.leased], args=[repr(now), repr(until)])
        return sorted([(int(m), False) for m in first] + [(int(m), True) for m in again])

    def hold(self, job_id: int, until: float) -> None:
        pipe = self._db.pipeline(transaction=True)
        pipe.zrem(self.key, str(job_id))
        pipe.zadd(self.leased, {str(job_id): until})
        pipe.execute()

    def renew(self, job_ids: list[int], until: float) -> None:
        if job_ids:
            self._db.zadd(self.leased, {str(i): until for i in job_ids}, xx=True)

    def done(self, job_id: int) -> None:
        pipe = self._db.pipeline(transaction=True)
        pipe.zrem(self.key, str(job_id))
        pipe.zrem(self.leased, str(job_id))
        pipe.execute()

    def next(self) -> float | None:
        pipe = self._db.pipeline(transaction=False)
        pipe.zrange(self.key, 0, 0, withscores=True)
        pipe.zrange(self.leased, 0, 0, withscores=True)
        firsts = [float(first[0][1]) for first in pipe.execute() if first]
        return min(firsts) if firsts else None

    def clear(self) -> None:
        self._db.delete(self.key, self.leased)

    def __len__(self) -> int:
        return int(self._db.zcard(self.key))


class RedisStore:
    """All of the mock's state in one Redis database, shared by every mock pointed at it.
    Bounded by `max_jobs`, `max_bytes` (the jobs' stored text) and `ttl`."""

    shared = True
    #: Past `max_bytes`, a new job looks this far among the oldest for one to evict.
    EVICT_SCAN = 1024

    def __init__(self, url: str, max_jobs: int = 10_000, ttl: float = 3600.0,
                 max_bytes: int = STORE_BYTES) -> None:
        self.url = url
        self.max_jobs = max_jobs
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._db = _connect(url)
        self._db.ping()
        self._finish = self._db.register_script(_scripts.FINISH)
        self._put = self._db.register_script(_scripts.PUT)
        self.journal = RedisJournal(self._db)
        self.limiter = RedisLimiter(self._db)
        self.pending = RedisDue(self._db, "pending")
        self.scheduled = RedisDue(self._db, "webhook")

    def __repr__(self) -> str:
        return "<RedisStore>"  # the URL may carry a password

    def new_id(self, now: float) -> int:
        return int(self._db.incr(PREFIX + "ids"))

    def last_id(self) -> int:
        return int(self._db.get(PREFIX + "ids") or 0)

    def put(self, job: Job, now: float) -> None:
        """Store `job` within the bounds; `StoreFull` when it would go past `max_bytes` and
        no job that has ended (or is due) is left to evict among the oldest."""
        data = job.encoded()
        stored = self._put(args=[
            PREFIX, job.id, data, max(1, math.ceil(job.created + self.ttl - now)), len(data),
            repr(job.due), self.max_jobs, self.max_bytes, repr(now), self.EVICT_SCAN])
        if not stored:
            raise StoreFull(f"the store holds {self.max_bytes} bytes of unfinished jobs")

    def get(self, job_id: int, now: float) -> Job | None:
        data, finished = self._db.hmget(f"{PREFIX}job:{job_id}", "d", "f")
        if data is None:
            return None
        job = Job.from_json(data, finished=finished is not None)
        return None if job.created + self.ttl <= now else job

    def finish(self, job_id: int) -> bool:
        return bool(self._finish(keys=[f"{PREFIX}job:{job_id}"]))

    def settings(self) -> tuple[int, dict[str, str]]:
        pipe = self._db.pipeline(transaction=True)
        pipe.get(PREFIX + "settings-stamp")
        pipe.hgetall(PREFIX + "settings")
        stamp, records = pipe.execute()
        return int(stamp or 0), {k.decode(): v.decode() for k, v in records.items()}

    def stamp(self) -> int:
        return int(self._db.get(PREFIX + "settings-stamp") or 0)

    def set_settings(self, scope: str, record: str | None) -> None:
        pipe = self._db.pipeline(transaction=True)
        if record is None:
            pipe.hdel(PREFIX + "settings", scope)
        else:
            pipe.hset(PREFIX + "settings", scope, record)
        pipe.hlen(PREFIX + "settings")
        pipe.incr(PREFIX + "settings-stamp")
        _, count, _ = pipe.execute()
        if count > SCOPES:  # forget some namespaces (not the shared one)
            extra = [k for k in self._db.hkeys(PREFIX + "settings") if k != b""]
            self._db.hdel(PREFIX + "settings", *extra[:count - SCOPES])

    def clear(self) -> None:
        kept = {(PREFIX + name).encode() for name in ("ids", "journal-seq", "settings-stamp")}
        keys = [k for k in self._db.scan_iter(PREFIX + "*", count=1000) if k not in kept]
        pipe = self._db.pipeline(transaction=True)
        for start in range(0, len(keys), 1000):
            pipe.delete(*keys[start:start + 1000])
        pipe.incr(PREFIX + "settings-stamp")
        pipe.execute()

    def __len__(self) -> int:
        return int(self._db.zcard(PREFIX + "jobs"))

    def close(self) -> None:
        self._db.close()

    def batch(self) -> AbstractContextManager[object]:
        return nullcontext()  # each write is its own command (or script): nothing to group
