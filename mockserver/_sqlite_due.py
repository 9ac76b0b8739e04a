"""A SQLite store's due times and webhook leases (see `mockserver.sqlite_store`,
`mockserver.leases`)."""

from __future__ import annotations

from mockserver._sqlite_db import Db


class SqliteDue:
    """Due times of one kind in a table; `pop_due` claims (DELETE ... RETURNING). A leased
    entry (`mockserver.leases`) moves to kind `lease:KIND`, its time the lease's end; a claim
    is one `UPDATE ... RETURNING` per state, in one write transaction."""

    def __init__(self, db: Db, kind: str) -> None:
        self._db = db
        self.kind = kind
        self.leased = "lease:" + kind
        self._pushes = 0

    def push(self, due: float, job_id: int, now: float, bound: int) -> None:
        self._db.later("due", "INSERT INTO due VALUES (?, ?, ?) ON CONFLICT (kind, job) DO "
                       "UPDATE SET due = excluded.due", (self.kind, job_id, due))
        self._pushes += 1
        if self._pushes % 64 == 0:
            self._db.later("due", "DELETE FROM due WHERE kind = ? AND job <= ?",
                           (self.kind, job_id - bound))

    def count(self, now: float) -> int:
        return int(self._db.one("SELECT COUNT(*) FROM due WHERE kind = ? AND due > ?",
                                (self.kind, now))[0])

    def pop_due(self, now: float) -> list[int]:
        rows = self._db.run("DELETE FROM due WHERE kind = ? AND due <= ? RETURNING job",
                            (self.kind, now))
        return sorted(int(row[0]) for row in rows)

    def claim(self, now: float, until: float) -> list[tuple[int, bool]]:
        db = self._db
        with db.write():  # (both updates in one write transaction, under the workers' lock)
            again = db.conn.execute("UPDATE due SET due = ? WHERE kind = ? AND due <= ? "
                                    "RETURNING job", (until, self.leased, now)).fetchall()
            first = db.conn.execute("UPDATE OR REPLACE due SET kind = ?, due = ? WHERE kind = ? "
                                    "AND due <= ? RETURNING job",
                                    (self.leased, until, self.kind, now)).fetchall()
        return sorted([(int(row[0]), False) for row in first] +
                      [(int(row[0]), True) for row in again])

    def hold(self, job_id: int, until: float) -> None:
        db = self._db
        with db.write():
            db.conn.execute("DELETE FROM due WHERE kind = ? AND job = ?", (self.kind, job_id))
            db.conn.execute("INSERT OR REPLACE INTO due VALUES (?, ?, ?)",
                            (self.leased, job_id, until))

    def renew(self, job_ids: list[int], until: float) -> None:
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start:start + 500]
            self._db.run(f"UPDATE due SET due = ? WHERE kind = ? AND job IN "
                         f"({','.join('?' * len(chunk))})", (until, self.leased, *chunk))

    def done(self, job_id: int) -> None:
        self._db.run("DELETE FROM due WHERE kind IN (?, ?) AND job = ?",
                     (self.kind, self.leased, job_id))

    def next(self) -> float | None:
        row = self._db.one("SELECT MIN(due) FROM due WHERE kind IN (?, ?)",
                           (self.kind, self.leased))
        return None if row[0] is None else float(row[0])

    def clear(self) -> None:
        self._db.run("DELETE FROM due WHERE kind IN (?, ?)", (self.kind, self.leased))

    def __len__(self) -> int:
        """The running count (the `state` row's, shared at each commit: no query)."""
        db = self._db
        with db.lock:
            if db.writing or db.due_held:
                # (due rows written and not yet committed: not shared yet)
                return int(db.one(f"SELECT {self.kind} FROM state")[0])
            return db.due_count(self.kind)
