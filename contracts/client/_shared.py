"""One budget for several processes (pytest-xdist workers): the total lives in a file.

Every spend takes an exclusive lock on the file, reads the total, refuses past the cap or
writes the new total: the workers together never send more than the cap. The controller
creates the file and reads the total for the run's summary.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from contracts.client._budget import Budget, BudgetExhausted

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process's lock only
    fcntl = None  # type: ignore[assignment]

_LOCAL = threading.Lock()


@dataclass
class SharedBudget(Budget):
    """A `Budget` whose count is shared through the file at `path` (`used` stays this
    process's own share; `total()` is everyone's)."""

    path: str = field(default="", kw_only=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        with _LOCAL:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                yield fd
            finally:
                os.close(fd)  # closing releases the lock

    @staticmethod
    def _read(fd: int) -> int:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).strip()
        return int(text) if text.isdigit() else 0

    def total(self) -> int:
        """What every process sharing the file has spent."""
        with self._locked() as fd:
            return self._read(fd)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.total() >= self.limit

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.total())

    def spend(self, n: int = 1, what: str = "request") -> None:
        with self._locked() as fd:
            total = self._read(fd)
            if self.limit is not None and total + n > self.limit:
                raise BudgetExhausted(self.limit, total, what, budget=self)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, str(total + n).encode())
        self.used += n
