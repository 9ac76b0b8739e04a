"""Keeping API keys out of everything a person or a file can see: one marker, one set of
secret field names, and the functions that apply them.

Two forms exist, on purpose: `REDACTED` where a value is only hidden (messages, reports,
exceptions), and `redact_key` ("***" and a short hash) where keys must stay told apart without
being revealed (the mock's journal).

Raw inside, scrubbed at the edge: replies are judged exactly as the backend sent them, and a
key is hidden only where text is shown (each output channel holds one `Scrubber`). A key is
found in every form it may come back in: as itself, JSON-escaped (\\uXXXX, "\\/"),
URL-encoded, HTML-escaped and base64-encoded (standard and URL-safe, at any offset inside a
longer base64 text).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from contracts._key_forms import CACHED_CHARS as _CACHED_CHARS
from contracts._key_forms import MIN_SECRET, holds_forms, replace_forms

#: What a hidden secret looks like in messages, reports and replies.
REDACTED: Final = "<redacted>"
#: Body fields and headers (lower case) whose values are secrets.
SECRET_FIELDS: Final = frozenset({"key", "api_key", "apikey", "authorization", "x-api-key"})
#: Longest payload `show` writes.
SHOWN_CHARS: Final = 1500

#: Keys redacted so far -> their redacted form (clients send the same few keys again and
#: again); emptied when it holds this many. Only keys of at most `_CACHED_CHARS` characters
#: are kept, so it never holds more than about 1 MiB (longer ones are hashed every time).
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
        if len(key) <= _CACHED_CHARS:
            if len(_redacted) >= _REDACTED_SIZE:
                _redacted.clear()
            _redacted[key] = redacted
    return redacted


def redact_body(body: Mapping[Any, Any]) -> dict[Any, Any]:
    """A copy of a request body with each secret field, at any depth, in its `redact_key`
    form (a key sent as a list or an object is one "***"). Its names may be other than
    strings (a dict made in Python): each is judged by its text."""
    return {k: (redact_key(v) if str(k).lower() in SECRET_FIELDS else _redact_within(v))
            for k, v in body.items()}


def _redact_within(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact_body(value)
    if isinstance(value, list):
        return [_redact_within(v) for v in value]
    return value


def secrets_in(body: Any) -> tuple[str, ...]:
    """The non-empty values of a body's secret fields, at any depth (to hide wherever else
    they appear; a secret field holding an object or a list is hidden whole where it is)."""
    found: list[str] = []
    _secrets_within(body, found, top=True)
    return tuple(dict.fromkeys(found))


def _secrets_within(value: Any, found: list[str], *, top: bool = False) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if str(k).lower() in SECRET_FIELDS and v not in (None, "") and \
                    (top or not isinstance(v, Mapping | list)):
                found.append(str(v))
            elif isinstance(v, Mapping | list):
                _secrets_within(v, found)
    elif isinstance(value, list) and not top:
        for v in value:
            _secrets_within(v, found)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON value (or a text) with secret fields and every occurrence of a
    `secrets` entry of `MIN_SECRET` characters or more replaced by `REDACTED`."""
    hidden = tuple(s for s in secrets if len(s) >= MIN_SECRET)
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in SECRET_FIELDS and v not in (None, "")
                    else redact(v, hidden)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, hidden) for v in value]
    if isinstance(value, str):
        for secret in hidden:
            value = replace_forms(value, secret, REDACTED)
    return value


def scrub(text: str, secrets: Iterable[object], *, keyed: bool = False) -> str:
    """`text` with every non-empty secret replaced, whatever its length (one shorter than
    `MIN_SECRET` where it stands alone) and in every form (JSON escapes, URL, HTML, base64):
    by `REDACTED`, or (`keyed`) by its `redact_key` form. For text about to be shown."""
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = replace_forms(text, secret, (redact_key(secret) or "***") if keyed else REDACTED)
    return text


def scrub_value(value: Any, secrets: Iterable[object], *, keyed: bool = False) -> Any:
    """A copy of a JSON value with `scrub` applied to every string in it, names included."""
    if isinstance(value, str):
        return scrub(value, secrets, keyed=keyed)
    if isinstance(value, Mapping):
        return {scrub_value(k, secrets, keyed=keyed): scrub_value(v, secrets, keyed=keyed)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v, secrets, keyed=keyed) for v in value]
    return value


def holds_secret(value: Any, secrets: Iterable[object], text: str | None = None, *,
                 also: str = "") -> bool:
    """Whether `scrub_value(value, secrets)` would hide anything, in one search over all of
    the value's strings at once (the usual body holds its key in its key field only, and
    scrubbing each of its strings apart cost more than the rest of its journal entry).
    `text`: JSON text that holds the value (with other things: they may only add a false
    alarm), searched instead when the caller has it and every secret is one JSON writes as
    itself in all its forms (long enough, ASCII, no quote, backslash or control character)
    and the text has no \\uXXXX escape (ASCII-only JSON spells K, ſ, İ and ı so, which `scrub`
    takes for k, s and i). `also`: other text searched in the same pass (true as well when
    `scrub(also, secrets)` would hide anything: a journal entry's body and its response)."""
    hidden = [s for s in secrets if isinstance(s, str) and s]
    if not hidden:
        return False
    if text is None or not all(map(_verbatim, hidden)) or "\\u" in text:
        strings: list[str] = []
        _strings_of(value, strings)
        text = "\0".join(strings)  # (a separator no form holds, that no match can span)
    if also:
        text = f"{text}\0{also}"
    return any(holds_forms(text, secret) for secret in hidden)


@functools.lru_cache(maxsize=64)
def _verbatim(secret: str) -> bool:
    return len(secret) >= MIN_SECRET and secret.isascii() and '"' not in secret and \
        "\\" not in secret and min(secret) >= " "


def _strings_of(value: Any, out: list[str]) -> None:
    # (`type(...) is` first: an ABC isinstance check per field cost as much as the search)
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            out.append(item)
        elif kind is dict:
            for pair in item.items():
                stack.extend(pair)
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is int or kind is float or kind is bool or item is None:
            continue
        elif isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            for pair in item.items():
                stack.extend(pair)
        elif isinstance(item, list | tuple):
            stack.extend(item)


class Scrubber:
    """The one scrubbing point of an output channel (a report, a message, a test's failure
    output): `scrubber(text)` and `scrubber.value(json_value)` hide the secrets it was given
    as `scrub` does. Its repr never shows them."""

    def __init__(self, secrets: Iterable[object] = ()) -> None:
        self._secrets = tuple(dict.fromkeys(s for s in secrets if isinstance(s, str) and s))

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __repr__(self) -> str:
        return f"<Scrubber of {len(self._secrets)} secret(s)>"

    def __call__(self, text: str) -> str:
        return scrub(text, self._secrets) if self._secrets else text

    def value(self, value: Any) -> Any:
        """A JSON value with every string scrubbed."""
        return scrub_value(value, self._secrets) if self._secrets else value


def show(value: Any, secrets: Iterable[str] = ()) -> str:
    """A JSON value as one line for a message: redacted, then cut at `SHOWN_CHARS`."""
    text = json.dumps(redact(value, secrets), ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} chars)"


__all__ = ["MIN_SECRET", "REDACTED", "SECRET_FIELDS", "SHOWN_CHARS", "Scrubber",
           "holds_secret", "redact", "redact_body", "redact_key", "scrub", "scrub_value",
           "secrets_in", "show"]
