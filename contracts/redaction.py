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

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus

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
    """The secret as JSON may write it, once or escaped again (JSON text inside JSON): any
    character as itself or as a \\uXXXX escape, after any run of backslashes ("/" as "\\/",
    as PHP's json_encode writes it; '"' as '\\"' or '\\\\\\"'). Linear whatever the text:
    a match starts where no backslash is before it, each run of backslashes is taken whole
    (possessive), and a run of backslashes in the secret is one run in the text."""
    parts = [r"(?<!\\)"]
    for run in re.findall(r"\\+|[^\\]", secret):
        if run[0] == "\\":  # backslashes as themselves or \\u005c, not the \\ of an escape
            parts.append(r"(?:\\++u005[cC]|\\+(?=\\u[0-9a-fA-F]{4})|\\++(?!u[0-9a-fA-F]{4}))++")
            continue
        form = r"\\*+" + re.escape(run)
        if ord(run) < 0x10000:
            form += r"|\\++u" + "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c
                                        for c in f"{ord(run):04x}")
        parts.append("(?:" + form + ")")
    return re.compile("".join(parts))


def _encoded(secret: str) -> tuple[str, ...]:
    """`_forms`, cached for secrets of at most `_CACHED_CHARS` characters only (so the cache
    never holds more than about 64 x 10 x 256 characters, whatever keys clients send)."""
    return _cached_forms(secret) if len(secret) <= _CACHED_CHARS else _forms(secret)


@functools.lru_cache(maxsize=64)
def _cached_forms(secret: str) -> tuple[str, ...]:
    return _forms(secret)


def _forms(secret: str) -> tuple[str, ...]:
    """The secret's other literal forms, longest first: URL-encoded, HTML-escaped, and
    base64 (standard and URL-safe; whole, unpadded, and, when at least `MIN_SECRET`
    characters long, the part fixed by the secret alone at each of the three offsets a
    longer base64 text can hold it at)."""
    raw = secret.encode("utf-8", "surrogatepass")
    forms = {quote(secret, safe=""), quote(secret, safe="/"), quote_plus(secret),
             html.escape(secret)}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for offset in (1, 2):
            text = encode(b"\0" * offset + raw).decode("ascii")
            core = text[-(-8 * offset // 6):(8 * (offset + len(raw))) // 6]
            if len(core) >= MIN_SECRET:
                forms.add(core)
        core = whole[:(8 * len(raw)) // 6]
        if len(core) >= MIN_SECRET:
            forms.add(core)
    forms.discard(secret)
    forms.discard("")
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


@functools.lru_cache(maxsize=64)
def _token(secret: str) -> re.Pattern[str]:
    """A secret shorter than `MIN_SECRET`, in any of its forms, standing alone: not inside a
    longer run of letters and digits (the key "s" is hidden in "bad key s", not in "success":
    hiding every "s" would hide the text, and tells nobody anything)."""
    forms = "|".join([_escaped(secret).pattern, *map(re.escape, _encoded(secret))])
    return re.compile(f"(?<![A-Za-z0-9])(?:{forms})(?![A-Za-z0-9])")


def _replace(text: str, secret: str, marker: str) -> str:
    """`text` with each run of `secret` replaced: in any of its forms (the longest run where
    several start at one place), whole or cut short (a text cut at its limit before it was
    shown) as long as its first `MIN_SECRET` characters are there."""
    if len(secret) < MIN_SECRET:
        return _token(secret).sub(lambda _: marker, text)
    forms, starts, others = _cached_plan(secret) if len(secret) <= _CACHED_CHARS \
        else _plan(secret)
    if starts[0] not in text and "\\" not in text:  # then only another form can be there
        lowered = text.lower()
        if not any(start in lowered for start in others):
            return text
    heads = _heads(starts)
    pieces = []
    pos = 0
    while (found := heads.search(text, pos)) is not None:
        at, end = found.start(), found.end()
        for index, form in enumerate(forms):
            end = max(end, _run(text, at, form, escaped=index == 0))
        pieces += [text[pos:at], marker]
        pos = end
    return "".join(pieces) + text[pos:] if pieces else text


def _plan(secret: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The secret's forms, their first `MIN_SECRET` characters, and those of the other forms
    in lower case (to tell at C speed that a text holds none of them)."""
    forms = (secret, *_encoded(secret))
    starts = tuple(f[:MIN_SECRET] for f in forms)
    return forms, starts, tuple(start.lower() for start in starts[1:])


_cached_plan = functools.lru_cache(maxsize=64)(_plan)


@functools.lru_cache(maxsize=64)
def _heads(heads: tuple[str, ...]) -> re.Pattern[str]:
    """The first `MIN_SECRET` characters of any form: the secret's own (each character also
    JSON-escaped), the others as written, letters in either case."""
    literal = "|".join(re.escape(head) for head in heads[1:])
    return re.compile(_escaped(heads[0]).pattern + (f"|(?i:{literal})" if literal else ""))


def _run(text: str, at: int, form: str, *, escaped: bool) -> int:
    """Where the run of `form` starting at `at` ends (`at`: none starts there). With
    `escaped`, each character may also be JSON-escaped, once or more; without, letters match
    in either case (%2F and %2f alike: hiding a few letters more is harmless)."""
    head = _escaped(form[:MIN_SECRET]) if escaped else _literal(form[:MIN_SECRET])
    found = head.match(text, at)
    if found is None:
        return at
    end = found.end()
    for char in form[MIN_SECRET:]:
        after = _step(text, end, char) if escaped else (
            end + 1 if text[end:end + 1].lower() == char.lower() else None)
        if after is None:
            break
        end = after
    return end


@functools.lru_cache(maxsize=256)
def _literal(head: str) -> re.Pattern[str]:
    return re.compile(re.escape(head), re.IGNORECASE)


def _step(text: str, at: int, char: str) -> int | None:
    """Where `char` ends if it is at `at`, as itself or JSON-escaped (after a run of
    backslashes, taken whole, or as a \\uXXXX escape); None if it is not there. A backslash
    is a whole run of them, or nothing right after one (its run was taken already)."""
    if char == "\\":
        return _backslashes(text, at)
    run = at
    while text.startswith("\\", run):
        run += 1
    if text.startswith(char, run):
        return run + 1
    return run + 5 if run > at and text[run:run + 5].lower() == f"u{ord(char):04x}" else None


def _backslashes(text: str, at: int) -> int | None:
    """Where the backslashes at `at` end (as themselves or \\u005c, leaving the backslash
    of another escape), or `at` right after backslashes taken already; else None."""
    end = at
    while True:
        run = end
        while text.startswith("\\", run):
            run += 1
        if run == end:
            break
        if text[run:run + 5].lower() == "u005c":
            end = run + 5
            continue
        escape = _ESCAPE.match(text, run)
        end = run - 1 if escape is not None else run
        break
    return end if end > at or text[at - 1:at] in ("\\", "c", "C") else None


_ESCAPE = re.compile("u[0-9a-fA-F]{4}")


def scrub(text: str, secrets: Iterable[object], *, keyed: bool = False) -> str:
    """`text` with every non-empty secret replaced, whatever its length (one shorter than
    `MIN_SECRET` where it stands alone) and in every form (JSON escapes, URL, HTML, base64):
    by `REDACTED`, or (`keyed`) by its `redact_key` form. For text about to be shown."""
    for secret in secrets:
        if isinstance(secret, str) and secret:
            text = _replace(text, secret, (redact_key(secret) or "***") if keyed else REDACTED)
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


__all__ = ["MIN_SECRET", "REDACTED", "SECRET_FIELDS", "SHOWN_CHARS", "Scrubber", "redact",
           "redact_body", "redact_key", "scrub", "scrub_value", "secrets_in", "show"]
