"""Progress for logs: when stdout is no terminal (CI), a plain line every tenth of the budget
and at most every `EVERY` seconds, so a long run is never silent until its end."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

#: Seconds between two progress lines at most (a line is also printed per tenth of budget).
EVERY = 10.0


class Lines:
    def __init__(self, budget: int, result: Any, file: TextIO | None = None,
                 clock: Any = time.monotonic) -> None:
        self.budget = max(budget, 1)
        self.result = result
        self.file = file
        self.clock = clock
        self.last_step = 0
        self.last_time = clock()

    def tick(self, used: int) -> None:
        step = used * 10 // self.budget
        now = self.clock()
        if step > self.last_step or now - self.last_time >= EVERY:
            self.last_step, self.last_time = step, now
            r = self.result
            print(f"gate: {used}/{self.budget} requests, {len(r.violated)} rule(s) violated, "
                  f"{len(r.faults)} fault(s)", file=self.file or sys.stdout, flush=True)
