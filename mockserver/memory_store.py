"""The in-memory store (`MemoryStore`): one process, the default (see `mockserver.jobs.Store`)."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext

from mockserver.jobs import SCOPES, STORE_BYTES, Job

_NO_BATCH = nullcontext()


def job_bytes(job: Job) -> int:
    """A cheap estimate of what a job holds: its client-sized text dominates (the prompts;
    everything else in a job is small or bounded by the body limit along with them)."""
    negative = job.meta.get("negative_prompt")
    return 1024 + len(job.prompt) + len(job.webhook or "") + \
        (len(negative) if type(negative) is str else 0)


class MemoryStore:
    """Everything in this process: jobs in a dict, oldest evicted past `max_jobs`,
    `STORE_BYTES` or `ttl` seconds."""

    shared = False

    def __init__(self, max_jobs: int = 10_000, ttl: float = 3600.0,
                 max_bytes: int = STORE_BYTES) -> None:
        from mockserver.journal import Journal
        from mockserver.ratelimit import RateLimiter
        from mockserver.timers import DueTimes

        self.max_jobs = max_jobs
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.journal: Journal = Journal()
        self.limiter: RateLimiter = RateLimiter()
        self.pending: DueTimes = DueTimes()
        self.scheduled: DueTimes = DueTimes()
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._bytes = 0
        self._finished: set[int] = set()
        self._next = 1
        self._settings: OrderedDict[str, str] = OrderedDict()
        self._stamp = 0
        self._lock = threading.Lock()

    def new_id(self, now: float) -> int:
        with self._lock:
            job_id = self._next
            self._next += 1
            return job_id

    def last_id(self) -> int:
        return self._next - 1

    def put(self, job: Job, now: float) -> None:
        size = job_bytes(job)
        with self._lock:
            jobs = self._jobs
            jobs[job.id] = job
            self._bytes += size
            if len(jobs) > self.max_jobs or self._bytes > self.max_bytes or \
                    next(iter(jobs.values())).created + self.ttl <= now:
                self._evict(now)

    def _evict(self, now: float) -> None:
        jobs = self._jobs
        while len(jobs) > self.max_jobs or (self._bytes > self.max_bytes and len(jobs) > 1):
            # The oldest job that has ended (or is due) goes first; a pending one only when
            # every job is pending (the engine refuses new work before that happens). The
            # oldest is looked at first: on a busy mock it has ended, and no search is made.
            # (Taken off the front, no iterator made to look at it; put back if pending.)
            job_id, oldest = jobs.popitem(last=False)
            if oldest.due <= now:
                self._bytes -= job_bytes(oldest)
                self._finished.discard(job_id)
            else:
                jobs[job_id] = oldest
                jobs.move_to_end(job_id, last=False)
                self._drop(next((j.id for j in jobs.values() if j.due <= now), job_id))
        while jobs:
            oldest = next(iter(jobs.values()))
            if oldest.created + self.ttl > now:
                break
            self._drop(oldest.id)

    def _drop(self, job_id: int) -> None:
        self._bytes -= job_bytes(self._jobs.pop(job_id))
        self._finished.discard(job_id)

    def get(self, job_id: int, now: float) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.created + self.ttl <= now:
                return None
            if job_id in self._finished:
                return _finished(job)
            return job

    def finish(self, job_id: int) -> bool:
        with self._lock:
            if job_id not in self._jobs or job_id in self._finished:
                return False
            self._finished.add(job_id)
            return True

    def settings(self) -> tuple[int, dict[str, str]]:
        with self._lock:
            return self._stamp, dict(self._settings)

    def stamp(self) -> int:
        return self._stamp

    def set_settings(self, scope: str, record: str | None) -> None:
        with self._lock:
            self._stamp += 1
            self._settings.pop(scope, None)
            if record is not None:
                self._settings[scope] = record
                while len(self._settings) > SCOPES:
                    self._settings.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._bytes = 0
            self._finished.clear()
            self._settings.clear()
            self._stamp += 1
        self.journal.clear()
        self.limiter.clear()
        self.pending.clear()
        self.scheduled.clear()

    def __len__(self) -> int:
        return len(self._jobs)

    def close(self) -> None:
        pass

    def batch(self) -> AbstractContextManager[object]:
        return _NO_BATCH


def _finished(job: Job) -> Job:
    return dataclasses.replace(job, finished=True)
