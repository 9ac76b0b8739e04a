"""Leases on webhook deliveries: at least once under kill -9, exactly once otherwise.

A queued job with a webhook has an entry in the store's `scheduled` due times from the moment
it is made until its delivery is recorded in the journal (delivered, failed for good, dropped
or refused). Whoever sends the webhook holds a lease on that entry:
- the mock whose timer claims a due entry (`DueLike.claim`: the entry is leased to it, one
  mock only), or the one whose fetch or admin call ended the job first (`hold`);
- the holder renews its leases (`renew`) while the deliveries wait or run, and removes the
  entry once the outcome is in the journal (`done`);
- a lease left to expire (the holder was killed between the claim and the record) is claimed
  again by any mock, which sends the webhook although the job has ended.

So nothing is lost between a claim and a send, and a delivery is repeated only when its
holder died (or stalled past `LEASE_SECONDS`) before recording it. In one process (the memory
store) there is nobody to hand over to: `claim` is the plain `pop_due` and the rest do nothing.

`STALL_AFTER_CLAIM` (an environment variable) is a test hook: set to a file path, a mock that
claims due webhooks writes its pid and the ids there and stops its timer for good, so a test
can kill -9 it between the claim and the send.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mockserver import limits
from mockserver.jobs import DueLike
from mockserver.webhooks import SHUTTING_DOWN

#: Seconds a lease lasts (renewed by its live holder every third of it).
LEASE_SECONDS = limits.WEBHOOK_LEASE_SECONDS
#: The test hook's environment variable (see the module's docstring).
STALL_AFTER_CLAIM = "MODELSLAB_MOCK_TEST_STALL_AFTER_CLAIM"


class Leases:
    """The leases this process holds on `scheduled`'s entries (tracked only when `shared`:
    nobody else could take them over otherwise)."""

    def __init__(self, scheduled: DueLike, clock: Callable[[], float], shared: bool,
                 lease: float = LEASE_SECONDS) -> None:
        self.scheduled = scheduled
        self.clock = clock
        self.shared = shared
        self.lease = lease
        self._held: set[int] = set()
        self._renewed = 0.0
        self._lock = threading.Lock()
        self._stall = _stall_hook() if shared else None

    def claim(self, now: float) -> list[tuple[int, bool]]:
        """Due webhooks, each now leased to this process: (job id, claimed again after
        another holder's lease expired)."""
        claimed = self.scheduled.claim(now, now + self.lease)
        if claimed and self.shared:
            with self._lock:
                self._held.update(job_id for job_id, _ in claimed)
            if self._stall is not None:
                self._stall([job_id for job_id, _ in claimed])
        return claimed

    def hold(self, job_id: int) -> None:
        """Lease the webhook of a job this process has just ended (fetch, admin, at once)."""
        if self.shared:
            self.scheduled.hold(job_id, self.clock() + self.lease)
            with self._lock:
                self._held.add(job_id)

    def drop(self, job_id: int) -> None:
        """Stop renewing a lease this process claimed but does not deliver (the job's ender
        does; if it died, the lease expires and the webhook is claimed again)."""
        with self._lock:
            self._held.discard(job_id)

    def done(self, job_id: int) -> None:
        """The delivery is recorded: the entry goes."""
        if self.shared:
            with self._lock:
                self._held.discard(job_id)
            self.scheduled.done(job_id)

    def recorded(self, job_id: int, outcome: Mapping[str, Any]) -> None:
        """The delivery's outcome is journaled: the entry goes, unless this mock dropped the
        delivery because it is stopping (then the lease is left to expire, and another mock,
        or this one restarted, sends the webhook)."""
        if self.shared and outcome.get("outcome") == "dropped" and \
                outcome.get("reason") == SHUTTING_DOWN:
            with self._lock:
                self._held.discard(job_id)
            return
        self.done(job_id)

    def renew(self, now: float) -> None:
        """Extend the leases still held, every third of a lease."""
        if not self.shared or now < self._renewed + self.lease / 3:
            return
        with self._lock:
            held = list(self._held)
        self._renewed = now
        if held:
            self.scheduled.renew(held, now + self.lease)

    def __len__(self) -> int:
        return len(self._held)


def _stall_hook() -> Callable[[Iterable[int]], None] | None:
    where = os.environ.get(STALL_AFTER_CLAIM)
    if not where:
        return None

    def stall(ids: Iterable[int]) -> None:
        text = f"{os.getpid()} {' '.join(str(i) for i in ids)}\n"
        with open(where + ".tmp", "w", encoding="ascii") as out:
            out.write(text)
        os.replace(where + ".tmp", where)
        threading.Event().wait()  # never set: the timer stops here until the process dies

    return stall
