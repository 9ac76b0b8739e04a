"""A SQLite store's rate-limit windows (see `mockserver.sqlite_store`)."""

from __future__ import annotations

import math

from mockserver._sqlite_db import Db
from mockserver.ratelimit import WINDOW


class SqliteLimiter:
    """Request times per key name in a table, swept of times past the window every 256. A
    request's look and count are one transaction: workers never both take the last slot."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self._counts = 0

    def wait(self, name: str, limit: int, now: float) -> int | None:
        db = self._db
        with db.write():  # (inside a request: its transaction, held until the count)
            count, first = db.conn.execute(
                "SELECT COUNT(*), MIN(time) FROM (SELECT time FROM hits WHERE name = ? AND "
                "time > ? ORDER BY time LIMIT ?)", (name, now - WINDOW, limit)).fetchone()
        if count >= limit:
            return max(1, math.ceil(float(first) + WINDOW - now))
        return None

    def count(self, name: str, now: float) -> None:
        self._db.later("hit", "INSERT INTO hits VALUES (?, ?)", (name, now))
        self._counts += 1
        if self._counts % 256 == 0:
            self._db.later("hit", "DELETE FROM hits WHERE time <= ?", (now - WINDOW,))

    def reserve(self, name: str, limit: int, now: float) -> int | None:
        """`wait` and, when it says go, `count`, in one write transaction under the workers'
        lock (inside a request: its transaction, committed before it is answered)."""
        with self._db.write():
            wait = self.wait(name, limit, now)
            if wait is None:
                self.count(name, now)
            return wait

    def release(self, name: str, now: float) -> None:
        self._db.run("DELETE FROM hits WHERE rowid = (SELECT rowid FROM hits WHERE name = ? "
                     "AND time = ? LIMIT 1)", (name, now))

    def clear(self) -> None:
        self._db.run("DELETE FROM hits")
