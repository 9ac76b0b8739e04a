"""The request journal: one typed record per request or webhook, API keys redacted.

Records are built once, when the answer is known, and shown as JSON (`Journal.entries`) only
when the journal is read: the admin API and the fixtures read it far less often than the mock
writes it, so bodies are redacted then, not on every request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.redaction import redact_body

#: Entries kept; older ones are dropped first.
JOURNAL_SIZE = 1000

# -- records -------------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """One API request and what the mock answered: built once, when the answer is known (not
    `frozen` only because that makes building one, once per request, slower)."""

    time: float
    method: str
    #: The concrete path (no query).
    path: str
    status: int
    #: "success", "processing", or the error's name ("validation", "invalid_key", ...).
    outcome: str
    #: The body was a JSON object: only then is `key` shown (None when it had none).
    json_body: bool = False
    #: The key it sent, redacted.
    key: str | None = None
    #: The body as sent (at most 4 KiB of it, else None): redacted when the journal is read.
    body: Mapping[str, Any] | None = None
    #: The `Prefer` header, when it asked for something.
    prefer: str | None = None
    #: The rules a validation error cites.
    rules: tuple[str, ...] | None = None
    #: The job it made or fetched.
    job: int | None = None

    kind = "request"

    def to_json(self, seq: int) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "request", "time": self.time, "method": self.method,
                               "path": self.path}
        if self.json_body:
            out["key"] = self.key
        if self.body is not None:
            out["body"] = redact_body(self.body)
        if self.prefer is not None:
            out["prefer"] = self.prefer
        if self.rules is not None:
            out["rules"] = list(self.rules)
        if self.job is not None:
            out["job"] = self.job
        out["outcome"] = self.outcome
        out["status"] = self.status
        out["seq"] = seq
        return out


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one webhook: "delivered", "failed", "dropped" or "refused"."""

    job: int
    url: str
    outcome: str
    attempts: int | None = None
    #: The receiver's HTTP status, the transport error, or why it was not sent.
    status: int | None = None
    error: str | None = None
    reason: str | None = None

    kind = "webhook"

    @classmethod
    def of(cls, job: int, report: Mapping[str, Any]) -> Delivery:
        """From what a `WebhookSender` reports."""
        return cls(job, report["url"], report["outcome"], report.get("attempts"),
                   report.get("status"), report.get("error"), report.get("reason"))

    def to_json(self, seq: int) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "webhook", "job": self.job, "url": self.url,
                               "outcome": self.outcome}
        for name in ("attempts", "status", "error", "reason"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["seq"] = seq
        return out


Entry = Record | Delivery


class Journal:
    """A bounded, thread-safe list of records; shown with increasing `seq` numbers."""

    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        #: Records added since the last clear (the newest one's `seq`).
        self._added = 0
        self._lock = threading.Lock()

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._added += 1
            self._entries.append(entry)

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The records as JSON (keys redacted), oldest first; only those of `kind` if given."""
        with self._lock:
            first = self._added - len(self._entries) + 1
            return [e.to_json(first + i) for i, e in enumerate(self._entries)
                    if kind is None or e.kind == kind]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._added = 0

    def __len__(self) -> int:
        return len(self._entries)
