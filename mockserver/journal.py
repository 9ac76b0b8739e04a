"""The request journal: one typed record per request or webhook, API keys redacted.

Records are built once, when the answer is known, and shown as JSON (`Journal.entries`) only
when the journal is read: the admin API and the fixtures read it far less often than the mock
writes it, so bodies are redacted then, not on every request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

from contracts.redaction import holds_secret, redact_body, scrub, scrub_value, secrets_in
from mockserver import limits
from mockserver.request import decode

#: Entries kept, and the bytes they may hold (about): older ones are dropped first.
JOURNAL_SIZE = limits.JOURNAL_ENTRIES
JOURNAL_BYTES = limits.JOURNAL_BYTES
#: Characters of a response body the journal shows; longer ones are cut (and say so).
RESPONSE_CHARS = 4096

# -- records -------------------------------------------------------------------------------


@dataclass(slots=True, init=False)
class Record:
    """One API request and what the mock answered: built once, when the answer is known (not
    `frozen` only because that makes building one, once per request, slower). Its `__init__`
    is written out, as `Job`'s is (compiled, a generated one stays interpreted)."""

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
    #: The body as sent (at most 4 KiB of it, else None): its bytes, or the fields it was read
    #: as when query parameters joined them; decoded and redacted when the journal is read.
    body: Mapping[str, Any] | bytes | None = None
    #: The `Prefer` header, when it asked for something.
    prefer: str | None = None
    #: The rules a validation error cites.
    rules: tuple[str, ...] | None = None
    #: The job it made or fetched.
    job: int | None = None
    #: The body answered, as sent: decoded, cut and redacted when the journal is read.
    response: bytes | None = None
    #: Milliseconds from reading the request to the answer, the simulated latency included.
    latency_ms: float | None = None
    #: The namespace it was sent in ("" none).
    scope: str = ""

    @property
    def kind(self) -> str:
        """"request" (`Delivery`'s is "webhook"). A property: compiled, a class attribute of a
        dataclass is taken for a field, and a written-out `__init__` would leave it unset."""
        return "request"

    def __init__(self, time: float, method: str, path: str, status: int, outcome: str,
                 json_body: bool = False, key: str | None = None,
                 body: Mapping[str, Any] | bytes | None = None, prefer: str | None = None,
                 rules: tuple[str, ...] | None = None, job: int | None = None,
                 response: bytes | None = None, latency_ms: float | None = None,
                 scope: str = "") -> None:
        self.time, self.method, self.path, self.status = time, method, path, status
        self.outcome, self.json_body, self.key, self.body = outcome, json_body, key, body
        self.prefer, self.rules, self.job, self.response = prefer, rules, job, response
        self.latency_ms, self.scope = latency_ms, scope

    def to_json(self, seq: int) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "request", "time": self.time, "method": self.method,
                               "path": self.path}
        if self.json_body:
            out["key"] = self.key
        body: Any = decode(bytes(self.body)) \
            if isinstance(self.body, bytes | bytearray | memoryview) else self.body
        if isinstance(body, Mapping):
            shown, secrets = redact_body(body), secrets_in(body)
            out["body"] = scrub_value(shown, secrets, keyed=True) \
                if secrets and holds_secret(shown, secrets) else shown
        if self.prefer is not None:
            out["prefer"] = self.prefer
        if self.rules is not None:
            out["rules"] = list(self.rules)
        if self.job is not None:
            out["job"] = self.job
        out["outcome"] = self.outcome
        out["status"] = self.status
        if self.response is not None:
            out["response"] = _response(self.response, secrets_in(body))
        if self.latency_ms is not None:
            out["latency_ms"] = self.latency_ms
        out["seq"] = seq
        return out


def unechoed(response: bytes, body: Any) -> bytes:
    """`response` with the secrets of a request body the journal does not keep (too large)
    scrubbed from it now, as `Record.to_json` scrubs those of a body it keeps: an answer may
    echo a field (`meta.prompt`)."""
    return scrubbed_response(response, secrets_in(body))


def scrubbed_response(response: bytes, secrets: Sequence[str]) -> bytes:
    """`response` with `secrets` hidden in any form (keyed), or itself when none is in it."""
    if not secrets:
        return response
    text = response.decode("utf-8", "replace")
    shown = scrub(text, secrets, keyed=True)
    return response if shown is text else shown.encode()


def _response(raw: bytes, secrets: tuple[str, ...]) -> Any:
    """A response body as JSON (secret fields and the request's secrets redacted), or its
    first `RESPONSE_CHARS` characters as text when it is longer or not JSON."""
    text = scrub(raw.decode("utf-8", "replace"), secrets, keyed=True)
    if len(text) <= RESPONSE_CHARS:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
        return redact_body(value) if isinstance(value, dict) else value
    return text[:RESPONSE_CHARS] + f"... ({len(text)} characters)"


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
    #: The namespace of its job ("" none).
    scope: str = ""

    kind = "webhook"

    @classmethod
    def of(cls, job: int, report: Mapping[str, Any], scope: str = "") -> Delivery:
        """From what a `WebhookSender` reports."""
        return cls(job, report["url"], report["outcome"], report.get("attempts"),
                   report.get("status"), report.get("error"), report.get("reason"), scope)

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

#: An entry's own cost (its object and fields) and a kept body's, in bytes, for the bound.
_ENTRY = 256
_BODY = limits.JOURNAL_BODY_BYTES
_PREFER_CHARS = limits.JOURNAL_PREFER_CHARS


def _cost(entry: Entry) -> int:
    """What an entry is counted as, in bytes (about), from what it holds: worked out again
    when it is dropped (entries are never changed once added), so no second deque of sizes
    holds one more object per entry."""
    if type(entry) is Record:
        prefer, body, response = entry.prefer, entry.body, entry.response
        return _ENTRY + len(entry.path) + (len(prefer) if prefer else 0) + \
            (_BODY if body is not None else 0) + (len(response) if response is not None else 0)
    assert isinstance(entry, Delivery)
    return _ENTRY + len(entry.url) + len(entry.error or "") + len(entry.reason or "")


class Journal:
    """A bounded, thread-safe list of records; shown with increasing `seq` numbers."""

    keeps = True

    def __init__(self, size: int = JOURNAL_SIZE, max_bytes: int = JOURNAL_BYTES) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        self._size = size
        #: What the kept entries are counted as (bytes, about: `_cost`).
        self._bytes = 0
        self.max_bytes = max_bytes
        #: Records added since the last clear (the newest one's `seq`).
        self._added = 0
        self._lock = threading.Lock()

    def add(self, entry: Entry) -> None:
        if type(entry) is Record:
            prefer = entry.prefer
            if prefer is not None and len(prefer) > _PREFER_CHARS:
                entry.prefer = prefer[:_PREFER_CHARS] + "..."
        cost = _cost(entry)
        with self._lock:
            self._added += 1
            entries = self._entries
            if len(entries) == self._size:  # (the deque drops its oldest on append)
                self._bytes -= _cost(entries[0])
            entries.append(entry)
            self._bytes += cost
            while self._bytes > self.max_bytes and len(entries) > 1:
                self._bytes -= _cost(entries.popleft())

    @property
    def bytes(self) -> int:
        """What the kept entries are counted as, in bytes (about)."""
        return self._bytes

    def entries(self, kind: str | None = None, scope: str | None = None,
                after: int = 0) -> list[dict[str, Any]]:
        """The records as JSON (keys redacted), oldest first; only those of `kind`, of the
        namespace `scope` and with a seq past `after` if given."""
        with self._lock:
            first = self._added - len(self._entries) + 1
            return [e.to_json(first + i) for i, e in enumerate(self._entries)
                    if (kind is None or e.kind == kind)
                    and (scope is None or e.scope == scope) and first + i > after]

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """The first `limit` entries after number `seq`, oldest first (the dashboard's poll)."""
        with self._lock:
            kept = len(self._entries)
            first = self._added - kept + 1
            # (Both within what is kept: `islice` refuses a bound past sys.maxsize.)
            start = min(max(0, seq - first + 1), kept)
            newer = list(enumerate(islice(self._entries, start, start + min(max(0, limit), kept)),
                                   first + start))
        return [e.to_json(n) for n, e in newer]

    def last_seq(self) -> int:
        """The newest entry's number, 0 when empty (drops below a poller's mark on clear)."""
        with self._lock:
            return self._added if self._entries else 0

    def jobs(self) -> list[int]:
        """The job ids the entries name, oldest first, once each (read without redacting)."""
        with self._lock:
            ids = [e.job for e in self._entries]
        return [i for i in dict.fromkeys(ids) if i is not None]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._added = 0

    def __len__(self) -> int:
        return len(self._entries)
