"""The request journal: a bounded record of what the mock was asked, with API keys redacted."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

#: Entries kept; older ones are dropped first.
JOURNAL_SIZE = 1000
_SECRET_FIELDS = frozenset({"key", "api_key", "apikey", "authorization", "x-api-key"})


#: Keys redacted so far -> their redacted form (clients send the same few keys again and
#: again); emptied when it holds this many.
_REDACTED_SIZE = 4096
_redacted: dict[str, str] = {}


def redact_key(key: object) -> str | None:
    """"***" and a short hash: tells keys apart in a journal without revealing any."""
    if key is None:
        return None
    if not isinstance(key, str) or key == "":
        return "***"
    redacted = _redacted.get(key)
    if redacted is None:
        redacted = "***" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:6]
        if len(_redacted) >= _REDACTED_SIZE:
            _redacted.clear()
        _redacted[key] = redacted
    return redacted


def redact_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a JSON body with every secret-looking field redacted."""
    return {k: (redact_key(v) if k.lower() in _SECRET_FIELDS else v) for k, v in body.items()}


def scrub(text: str, *secrets: object) -> str:
    """`text` with every occurrence of the secrets replaced by their redacted form."""
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = text.replace(secret, redact_key(secret) or "***")
    return text


class Unredacted:
    """A request body the journal keeps as it came and redacts when it is read
    (`Journal.entries`): redacting costs a copy of the body on every request, and the journal
    is read far less often than it is written. The body never leaves the process unredacted."""

    __slots__ = ("body",)

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body


def _readable(entry: dict[str, Any]) -> dict[str, Any]:
    body = entry.get("body")
    if type(body) is Unredacted:
        return {**entry, "body": redact_body(body.body)}
    return dict(entry)


class Journal:
    """A bounded, thread-safe list of JSON entries with increasing `seq` numbers."""

    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["seq"] = next(self._seq)
            self._entries.append(entry)

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [_readable(e) for e in self._entries if kind is None or e.get("kind") == kind]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seq = itertools.count(1)

    def __len__(self) -> int:
        return len(self._entries)
