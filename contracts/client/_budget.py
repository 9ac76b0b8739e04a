"""What a client may spend: the request budget, and how patiently it retries and waits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


class BudgetExhausted(Exception):
    """A request was not sent: the budget is spent. (The pytest plugin turns it into a test
    failure; the gate ends its run.)"""

    def __init__(self, limit: int | None, used: int, what: str = "request", *,
                 budget: Budget | None = None) -> None:
        super().__init__(f"the budget of {limit} request(s) is spent ({used} sent): "
                         f"{what} not sent")
        self.limit = limit
        self.used = used
        self.what = what
        #: The budget that was spent (the plugin fails only for its own).
        self.budget = budget


class DeadlinePassed(BudgetExhausted):
    """A request was not sent: the budget's time (`Budget.seconds`) is up."""

    def __init__(self, seconds: float, used: int, what: str = "request", *,
                 budget: Budget | None = None) -> None:
        super().__init__(None, used, what, budget=budget)
        self.args = (f"the deadline of {seconds:g} s has passed ({used} request(s) sent): "
                     f"{what} not sent",)
        self.seconds = seconds


@dataclass
class Budget:
    """A cap on the requests sent to one backend (generations, fetches, retries, downloads),
    shared by everything that sends them. `limit=None` counts without a cap.

    `seconds` is an overall deadline, counted from when the budget is made: past it no
    request is sent (`DeadlinePassed`, a `BudgetExhausted`), and no single request may run
    beyond it (the client cuts its timeout to what is left).
    """

    limit: int | None = None
    used: int = 0
    seconds: float | None = None
    started: float = field(default_factory=time.monotonic, compare=False, repr=False)

    @property
    def exhausted(self) -> bool:
        return (self.limit is not None and self.used >= self.limit) or \
            (self.remaining is not None and self.remaining <= 0)

    @property
    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        if self.seconds is None:
            return None
        return self.seconds - (time.monotonic() - self.started)

    @property
    def left(self) -> int | None:
        """Requests that may still be sent (None: no cap)."""
        return None if self.limit is None else max(0, self.limit - self.used)

    def spend(self, n: int = 1, what: str = "request") -> None:
        """Count `n` requests about to be sent; raise `BudgetExhausted` (counting none) when
        they would go past the cap."""
        if self.limit is not None and self.used + n > self.limit:
            raise BudgetExhausted(self.limit, self.used, what, budget=self)
        if self.seconds is not None and (self.remaining or 0.0) <= 0:
            raise DeadlinePassed(self.seconds, self.used, what, budget=self)
        self.used += n

    def take(self) -> None:
        """Count one request about to be sent."""
        self.spend(1)


@dataclass(frozen=True)
class Backoff:
    """How faults are retried and how long queued jobs are waited for."""

    #: Extra attempts after a fault (timeout, 5xx, 429, rate-limit body).
    retries: int = 2
    #: First pause between attempts, doubled each time; also the least pause between the
    #: fetches of a queued job, doubled each fetch.
    base: float = 0.5
    #: Longest single pause (a Retry-After or an eta above it is cut to it).
    cap: float = 8.0
    #: Longest total wait for one queued job (then it counts as unfinished).
    job_wait: float = 60.0
    #: Most fetches of one queued job (None: as many as `job_wait` allows).
    fetches: int | None = 6
    #: Seconds before a request times out.
    timeout: float = 30.0
