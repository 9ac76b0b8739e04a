"""Namespaces: a client's own jobs, journal view and settings on a shared mock.

A request carrying `NAMESPACE_HEADER`, or sent under `/__ns/{name}/` (then the links it gets
back carry the prefix too, so a client that takes a base URL stays in it), is in that
namespace: it sees only the jobs made in it,
`/__mock/journal` shows only its entries, `/__mock/config` and scenarios change only its
settings, and `/__mock/reset` forgets only its jobs, entries and settings (others run on).
Without the header a request is in the shared namespace "" (and the admin API sees all).

Jobs are also scoped by API key, as the real API scopes them: a job remembers the
fingerprint of the key that made it (`owner_of`, never the key), and a fetch with another key
finds nothing, answered exactly as an unknown id is.

A namespace's state is one small record in the store (`Scope`): its settings, and the newest
job id and journal seq at its last reset (older ones are no longer its own). Ids are never
reset, so marking a reset is one write, whatever the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

from contracts.control import NAMESPACE_HEADER, NAMESPACE_NAME, NAMESPACE_PATH
from mockserver.config import SETTINGS, MockConfig
from mockserver.journal import Entry

#: The namespace of the request being handled ("" none).
current: ContextVar[str] = ContextVar("modelslab_namespace", default="")


#: Keys fingerprinted so far -> their fingerprint; emptied when it holds this many (only
#: keys of at most `_CACHED_CHARS` characters are kept: at most about 1 MiB).
_OWNERS_SIZE = 4096
_CACHED_CHARS = 256
_owners: dict[str, str] = {}


def owner_of(key: object) -> str:
    """The fingerprint of the key that owns a job ("" for no key): "***" and 16 hex digits of
    the key's SHA-256, whose first 6 are the journal's `redact_key` name of the same key. A
    store, export or journal holds this, never the key."""
    if type(key) is not str or not key:
        return ""
    owner = _owners.get(key)
    if owner is None:
        owner = "***" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        if len(key) <= _CACHED_CHARS:
            if len(_owners) >= _OWNERS_SIZE:
                _owners.clear()
            _owners[key] = owner
    return owner


def namespace_of(path: str, headers: Mapping[str, str], origin: str) -> tuple[str, str, str]:
    """(namespace, path, origin) of a request: the namespace ("" none, or a name that is not
    one: "!"), the path without its `/__ns/{name}` prefix, and the origin with it."""
    if path.startswith(NAMESPACE_PATH):
        name, _, rest = path[len(NAMESPACE_PATH):].partition("/")
        if not NAMESPACE_NAME.match(name):
            return "!", path, origin
        return name, "/" + rest, origin + NAMESPACE_PATH + name
    name = headers.get(NAMESPACE_HEADER) or ""
    if name and not NAMESPACE_NAME.match(name):
        return "!", path, origin
    return name, path, origin


class Scope(NamedTuple):
    """One namespace's record: its settings (None: the shared ones) and its reset marks."""

    config: MockConfig | None = None
    #: Jobs with an id up to this one, and entries with a seq up to this one, are forgotten.
    jobs_after: int = 0
    journal_after: int = 0

    def dumps(self) -> str:
        settings = None if self.config is None else settings_json(self.config)
        return json.dumps({"settings": settings, "jobs_after": self.jobs_after,
                           "journal_after": self.journal_after})

    @classmethod
    def loads(cls, text: str) -> Scope:
        """A stored record; one this version cannot read (not JSON, not an object, a mark
        that is no number) is no record: every request re-reads them all, so raising failed
        every request of every namespace."""
        try:
            data = json.loads(text)
            settings = data.get("settings")
            config = None if settings is None else _stored_config(settings)
            return cls(config, int(data.get("jobs_after", 0)),
                       int(data.get("journal_after", 0)))
        except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
            return cls()


def _stored_config(settings: Mapping[str, Any]) -> MockConfig | None:
    """A namespace's stored settings, as this version reads them: a file outlives the mock's
    version, so those it does not know are left out, and settings it refuses are none (the
    shared ones apply), instead of failing every request that re-reads the records."""
    try:
        return MockConfig().replace(**{k: v for k, v in settings.items() if k in SETTINGS})
    except (TypeError, ValueError):
        return None


def settings_json(config: MockConfig) -> dict[str, Any]:
    """Every setting as a JSON value (keys included: this goes to the store, not to a user)."""
    out = {name: getattr(config, name) for name in SETTINGS}
    keys = config.accepted_keys
    out["accepted_keys"] = None if keys is None else sorted(keys)
    out["webhook_hosts"] = list(config.webhook_hosts)
    out["models"] = None if config.models is None else sorted(config.models)
    return out


class JournalView:
    """The journal as one namespace sees it (the shared namespace "" sees everything)."""

    def __init__(self, journal: Any, scope: str, after: int, forget: Any) -> None:
        self._journal = journal
        self.scope = scope
        self.after = after
        self._forget = forget

    def add(self, entry: Entry) -> None:
        self._journal.add(entry)

    @property
    def bytes(self) -> int:
        """What the whole journal holds, in bytes (about): the bound is the store's, not a
        namespace's (0 where the store keeps no count)."""
        return int(getattr(self._journal, "bytes", 0))

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._journal.entries(
            kind, self.scope or None, self.after)
        return entries

    def last_seq(self) -> int:
        """The newest entry's number (0 when the journal is empty)."""
        return int(self._journal.last_seq())

    def since(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """The first `limit` entries of this namespace after number `seq`, oldest first (the
        dashboard's poll)."""
        if not self.scope and hasattr(self._journal, "since"):
            found: list[dict[str, Any]] = self._journal.since(seq, limit)
            return found
        newer: list[dict[str, Any]] = self._journal.entries(None, self.scope or None,
                                                            max(seq, self.after))
        return newer[:max(0, limit)]

    def jobs(self) -> list[int]:
        """The job ids this namespace's entries name, oldest first, once each."""
        if not self.scope and hasattr(self._journal, "jobs"):
            ids: list[int] = self._journal.jobs()
            return ids
        named = (e.get("job") for e in self.entries())
        return [i for i in dict.fromkeys(named) if isinstance(i, int)]

    def clear(self) -> None:
        """Forget the entries (a namespace: only its own)."""
        if self.scope:
            self._forget()
        else:
            self._journal.clear()

    def __len__(self) -> int:
        return len(self.entries()) if self.scope else len(self._journal)
