"""The rate limiter: a sliding one-minute window of request times per (redacted) key.

The engine asks and counts in one step (`reserve`: atomic in every store, so several workers
never let more through than the limit), hands the verdict to `mockserver.decide` (which stays
pure), and takes the count back (`release`) when the decision did not get as far as the rate
limit (an earlier refusal, a bad body or key, does not count). `wait` and `count` are the two
halves, for callers that only ask.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import OrderedDict, deque

#: Keys the rate limiter remembers (least recently seen forgotten first).
RATE_KEYS = 10_000
#: Seconds of the window.
WINDOW = 60.0


class RateLimiter:
    """Request times per key name (pass a redacted key: the limiter never holds secrets)."""

    def __init__(self, keys: int = RATE_KEYS) -> None:
        self.keys = keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, name: str, limit: int, now: float) -> int | None:
        """None when a request now may go ahead, else seconds until it may."""
        with self._lock:
            times = self._hits.get(name)
            if not times:
                return None
            while times and times[0] <= now - WINDOW:
                times.popleft()
            if len(times) >= limit:
                return max(1, math.ceil(times[0] + WINDOW - now))
            return None

    def count(self, name: str, now: float) -> None:
        """Count a request made now."""
        with self._lock:
            self._count(name, now)

    def _count(self, name: str, now: float, slack: int = 0) -> None:
        times = self._hits.pop(name, None) or deque()
        self._hits[name] = times
        times.append(now)
        while len(self._hits) > self.keys + slack:
            self._hits.popitem(last=False)

    def reserve(self, name: str, limit: int, now: float) -> int | None:
        """`wait`, and when it says go, `count`: one step under the lock."""
        with self._lock:
            times = self._hits.get(name)
            if times:
                while times and times[0] <= now - WINDOW:
                    times.popleft()
                if len(times) >= limit:
                    return max(1, math.ceil(times[0] + WINDOW - now))
            # One past `keys` for now: a request taken back (a bad key) forgets no other key.
            self._count(name, now, slack=1)
            return None

    def release(self, name: str, now: float) -> None:
        """Take back one request counted at `now`."""
        with self._lock:
            times = self._hits.get(name)
            if not times:
                return
            if times[-1] == now:
                times.pop()
            else:
                with contextlib.suppress(ValueError):
                    times.remove(now)
            if not times:
                del self._hits[name]

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def __len__(self) -> int:
        return len(self._hits)
