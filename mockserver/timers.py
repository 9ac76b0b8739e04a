"""Due times: bounded heaps of when queued jobs end, and the thread that ends them on time."""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("mockserver")


class DueTimes:
    """A bounded heap of (due time, job id): the pending jobs, or those with a webhook."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def push(self, due: float, job_id: int, now: float, bound: int) -> None:
        """Add a job, dropping those already due (then the soonest) past `bound` entries."""
        heap = self._heap
        with self._lock:
            heapq.heappush(heap, (due, job_id))
            if len(heap) > bound:
                while heap and len(heap) > bound // 2 and heap[0][0] <= now:
                    heapq.heappop(heap)
                while len(heap) > bound:
                    heapq.heappop(heap)

    def count(self, now: float) -> int:
        """How many are not due yet (forgetting those that are)."""
        heap = self._heap
        with self._lock:
            while heap and heap[0][0] <= now:
                heapq.heappop(heap)
            return len(heap)

    def pop_due(self, now: float) -> list[int]:
        """The ids of the jobs due by `now`, removed."""
        heap = self._heap
        with self._lock:
            due = []
            while heap and heap[0][0] <= now:
                due.append(heapq.heappop(heap)[1])
            return due

    def claim(self, now: float, until: float) -> list[tuple[int, bool]]:
        """`pop_due`: one process hands no lease over to another (`mockserver.leases`)."""
        return [(job_id, False) for job_id in self.pop_due(now)]

    def hold(self, job_id: int, until: float) -> None:
        pass

    def renew(self, job_ids: list[int], until: float) -> None:
        pass

    def done(self, job_id: int) -> None:
        pass

    def next(self) -> float | None:
        """When the soonest is due (None: there is none)."""
        with self._lock:
            return self._heap[0][0] if self._heap else None

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()

    def __len__(self) -> int:
        return len(self._heap)


class Timers:
    """A daemon thread that calls `run_due()` whenever `next_due()` says the next job is due.

    Started on the first `wake()`, so an engine whose jobs have no webhook starts no thread.
    """

    def __init__(self, run_due: Callable[[], object], next_due: Callable[[], float | None],
                 clock: Callable[[], float], poll: float | None = None) -> None:
        #: Longest wait between two looks (a shared store: other mocks add due jobs too).
        self.poll = poll
        self._run_due = run_due
        self._next_due = next_due
        self._clock = clock
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(target=self._run, name="mock-timers",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            try:
                self._run_due()
                due = self._next_due()
            except Exception as exc:  # a failing job, or a shared store out of reach: the
                # thread goes on (one failure must not end every later job's webhook)
                log.error("ending due jobs failed: %s", type(exc).__name__)
                due = self._clock() + 1.0
            timeout = None if due is None else max(0.0, due - self._clock())
            if self.poll is not None:
                timeout = self.poll if timeout is None else min(timeout, self.poll)
            self._wake.wait(timeout)
            self._wake.clear()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
