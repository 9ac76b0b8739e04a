"""Keeping API keys out of everything a person or a file can see: one marker, one set of
secret field names, and the functions that apply them.

Two forms exist, on purpose: `REDACTED` where a value is only hidden (messages, reports, the
gate's replies), and `redact_key` ("***" and a short hash) where keys must stay told apart
without being revealed (the mock's journal).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

#: What a hidden secret looks like in messages, reports and replies.
REDACTED: Final = "<redacted>"
#: Body fields and headers (lower case) whose values are secrets.
SECRET_FIELDS: Final = frozenset({"key", "api_key", "apikey", "authorization", "x-api-key"})
#: Shortest secret hidden inside other text by `redact`: replacing every "a" of a message
#: because a test used the key "a" would hide the message instead.
MIN_SECRET: Final = 8
#: Longest payload `show` writes.
SHOWN_CHARS: Final = 1500

#: Keys redacted so far -> their redacted form (clients send the same few keys again and
#: again); emptied when it holds this many. Only keys of at most `_CACHED_CHARS` characters
#: are kept, so it never holds more than about 1 MiB (longer ones are hashed every time).
_REDACTED_SIZE = 4096
_CACHED_CHARS = 256
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


def redact_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a request body with each secret field, at any depth, in its `redact_key`
    form (a key sent as a list or an object is one "***")."""
    return {k: (redact_key(v) if str(k).lower() in SECRET_FIELDS else _redact_within(v))
            for k, v in body.items()}


def _redact_within(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact_body(value)
    if isinstance(value, list):
        return [_redact_within(v) for v in value]
    return value


def secrets_in(body: Any) -> tuple[str, ...]:
    """The non-empty values of a body's secret fields (to hide wherever else they appear)."""
    if isinstance(body, Mapping):
        return tuple(str(v) for k, v in body.items()
                     if str(k).lower() in SECRET_FIELDS and v not in (None, ""))
    return ()


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
            value = _replace(value, secret, REDACTED)
    return value


@functools.lru_cache(maxsize=64)
def _escaped(secret: str) -> re.Pattern[str]:
    """The secret as JSON may write it: any character as itself or as a \\uXXXX escape, and
    "/" also as "\\/" (as PHP's json_encode writes it)."""
    parts = []
    for char in secret:
        forms = [re.escape(char)]
        if ord(char) < 0x10000:
            forms.append(r"\\u" + "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c
                                           for c in f"{ord(char):04x}"))
        if char == "/":
            forms.append(r"\\/")
        if char in '"\\':
            forms.append(re.escape("\\" + char))
        parts.append("(?:" + "|".join(forms) + ")")
    return re.compile("".join(parts))


def _replace(text: str, secret: str, marker: str) -> str:
    text = text.replace(secret, marker)
    if "\\" in text:  # an escaped form can only be there if a backslash is
        text = _escaped(secret).sub(marker.replace("\\", "\\\\"), text)
    return text


def scrub(text: str, secrets: Iterable[object], *, keyed: bool = False) -> str:
    """`text` with every non-empty secret replaced, whatever its length and in any JSON
    escape form: by `REDACTED`, or (`keyed`) by its `redact_key` form. For text known to come
    back from a request that carried these secrets."""
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = _replace(text, secret, (redact_key(secret) or "***") if keyed else REDACTED)
    return text


def hide(value: Any, secret: str) -> Any:
    """A copy of a decoded JSON value with `secret` hidden without changing anything else: a
    string (value or name) that IS the secret becomes `REDACTED`, and, for a secret of
    `MIN_SECRET` characters or more, each occurrence inside a string too (in any escape
    form). A short key ("s") thus never turns "success" into something a check would judge
    differently: replies are judged as they came, but for the key itself."""
    if not secret:
        return value
    if isinstance(value, str):
        if value == secret:
            return REDACTED
        return _replace(value, secret, REDACTED) if len(secret) >= MIN_SECRET and (
            secret in value or "\\" in value) else value
    if isinstance(value, Mapping):
        return {hide(k, secret): hide(v, secret) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [hide(v, secret) for v in value]
    return value


def show(value: Any, secrets: Iterable[str] = ()) -> str:
    """A JSON value as one line for a message: redacted, then cut at `SHOWN_CHARS`."""
    text = json.dumps(redact(value, secrets), ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} chars)"


__all__ = ["MIN_SECRET", "REDACTED", "SECRET_FIELDS", "SHOWN_CHARS", "hide", "redact",
           "redact_body", "redact_key", "scrub", "secrets_in", "show"]
