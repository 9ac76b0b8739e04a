"""The Redis store: one state for mocks on several hosts (see `mockserver.jobs.Store`).

`--store redis://HOST:PORT/DB`. Every key starts with `PREFIX`. What must be atomic across
mocks is one Redis command or script: ids (`INCR`, never reset), a job's end (a script that
sets its `finished` field once), due-job claims (`ZREM`: one mock gets each), journal appends
(a script: next seq, push, trim). Jobs expire with their TTL and are trimmed to `max_jobs`.
"""

from __future__ import annotations

import math
import os
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import orjson

from mockserver.jobs import SCOPES, Job
from mockserver.journal import JOURNAL_SIZE, Entry
from mockserver.ratelimit import WINDOW

PREFIX = "modelslab-mock:"
#: Seconds a Redis command may take before the request fails (a 500, logged).
SOCKET_TIMEOUT = 5.0

_FINISH = """
if redis.call('HEXISTS', KEYS[1], 'd') == 1 and redis.call('HSETNX', KEYS[1], 'f', 1) == 1
then return 1 else return 0 end
"""
_JOURNAL_ADD = """
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
return seq
"""


def _connect(url: str) -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - redis is a dependency of the extra
        raise ValueError("a redis:// store needs the redis package: "
                         "pip install 'modelslab-contract[redis]'") from exc
    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT,
                                socket_connect_timeout=SOCKET_TIMEOUT)


class RedisJournal:
    def __init__(self, db: Any, size: int = JOURNAL_SIZE) -> None:
        self._db = db
        self.size = size
        self._add = db.register_script(_JOURNAL_ADD)

    def add(self, entry: Entry) -> None:
        payload = orjson.dumps([entry.kind, entry.scope, entry.to_json(0)])
        self._add(keys=[PREFIX + "journal", PREFIX + "journal-seq"], args=[payload, self.size])

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        out = []
        for raw in self._db.lrange(PREFIX + "journal", 0, -1):
            seq_text, _, payload = raw.partition(b" ")
            seq = int(seq_text)
            if seq <= after:
                continue
            its_kind, its_scope, entry = orjson.loads(payload)
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
    def __init__(self, db: Any) -> None:
        self._db = db

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

    def clear(self) -> None:
        keys = list(self._db.scan_iter(PREFIX + "hits:*", count=1000))
        if keys:
            self._db.delete(*keys)


class RedisDue:
    """Due times in a sorted set; a claim is a `ZREM` (it returns 1 to one mock only)."""

    def __init__(self, db: Any, kind: str) -> None:
        self._db = db
        self.key = PREFIX + "due:" + kind
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

    def next(self) -> float | None:
        first = self._db.zrange(self.key, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def clear(self) -> None:
        self._db.delete(self.key)

    def __len__(self) -> int:
        return int(self._db.zcard(self.key))


class RedisStore:
    """All of the mock's state in one Redis database, shared by every mock pointed at it."""

    shared = True
    #: Jobs are trimmed to `max_jobs` every this many inserts.
    SWEEP_EVERY = 64

    def __init__(self, url: str, max_jobs: int = 10_000, ttl: float = 3600.0) -> None:
        self.url = url
        self.max_jobs = max_jobs
        self.ttl = ttl
        self._db = _connect(url)
        self._db.ping()
        self._finish = self._db.register_script(_FINISH)
        self.journal = RedisJournal(self._db)
        self.limiter = RedisLimiter(self._db)
        self.pending = RedisDue(self._db, "pending")
        self.scheduled = RedisDue(self._db, "webhook")
        self._inserts = 0

    def __repr__(self) -> str:
        return "<RedisStore>"  # the URL may carry a password

    def new_id(self, now: float) -> int:
        return int(self._db.incr(PREFIX + "ids"))

    def last_id(self) -> int:
        return int(self._db.get(PREFIX + "ids") or 0)

    def put(self, job: Job, now: float) -> None:
        key = f"{PREFIX}job:{job.id}"
        pipe = self._db.pipeline(transaction=False)
        pipe.hset(key, "d", job.to_json())
        pipe.expire(key, max(1, math.ceil(job.created + self.ttl - now)))
        pipe.zadd(PREFIX + "jobs", {str(job.id): job.id})
        pipe.execute()
        self._inserts += 1
        if self._inserts % self.SWEEP_EVERY == 0:
            old = self._db.zrange(PREFIX + "jobs", 0, -self.max_jobs - 1)
            if old:
                pipe = self._db.pipeline(transaction=False)
                pipe.delete(*[f"{PREFIX}job:{int(i)}" for i in old])
                pipe.zrem(PREFIX + "jobs", *old)
                pipe.execute()

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
