"""Where a secret can hide in text, and the matcher that finds it there: the forms it may
come back in (itself, JSON-escaped once or twice, URL-encoded, HTML-escaped, base64 at any
offset) and one pass that hides, at each place a form starts, the longest run of any form.

Private to `contracts.redaction`, which holds the policy (what is a secret, what replaces it).
"""

from __future__ import annotations

import base64
import functools
import html
import re
from typing import Final
from urllib.parse import quote, quote_plus

#: Shortest secret hidden inside other text: replacing every "a" of a message because a test
#: used the key "a" would hide the message instead (`contracts.redaction.MIN_SECRET`).
MIN_SECRET: Final = 8
#: Longest secret whose forms (and redacted name) are cached; longer ones are worked out
#: every time, so the caches stay small.
CACHED_CHARS: Final = 256

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
        form = r"\\*+" + re.escape(run) + "|" + "".join(  # (past U+FFFF: a surrogate pair)
            r"\\++u" + "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in code)
            for code in _escapes(run))
        parts.append("(?:" + form + ")")
    return re.compile("".join(parts))


def _encoded(secret: str) -> tuple[str, ...]:
    """`_forms`, cached for secrets of at most `CACHED_CHARS` characters only (so the cache
    never holds more than about 64 x 10 x 256 characters, whatever keys clients send)."""
    return _cached_forms(secret) if len(secret) <= CACHED_CHARS else _forms(secret)


@functools.lru_cache(maxsize=64)
def _cached_forms(secret: str) -> tuple[str, ...]:
    return _forms(secret)


def _forms(secret: str) -> tuple[str, ...]:
    """The secret's other literal forms, longest first: URL-encoded, HTML-escaped, and
    base64 (standard and URL-safe; whole, unpadded, and, when at least `MIN_SECRET`
    characters long, the part fixed by the secret alone at each of the three offsets a
    longer base64 text can hold it at)."""
    raw = secret.encode("utf-8", "surrogatepass")
    # (A lone surrogate, as JSON may send one, URL-encoded as its UTF-8-style bytes:
    # `quote` would raise on it, and every later read of the journal with it.)
    forms = {quote(secret, safe="", errors="surrogatepass"),
             quote(secret, safe="/", errors="surrogatepass"),
             quote_plus(secret, errors="surrogatepass"), html.escape(secret)}
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


def replace_forms(text: str, secret: str, marker: str) -> str:
    """`text` with each run of `secret` replaced: in any of its forms (the longest run where
    several start at one place), whole or cut short (a text cut at its limit before it was
    shown) as long as its first `MIN_SECRET` characters are there."""
    if len(secret) < MIN_SECRET:
        return _token(secret).sub(lambda _: marker, text)
    forms, starts, others = _cached_plan(secret) if len(secret) <= CACHED_CHARS \
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


def holds_forms(text: str, secret: str) -> bool:
    """Whether `replace_forms(text, secret, ...)` would hide anything (at the cost of one
    search, with nothing built)."""
    if len(secret) < MIN_SECRET:
        return _token(secret).search(text) is not None
    _, starts, others = _cached_plan(secret) if len(secret) <= CACHED_CHARS \
        else _plan(secret)
    if starts[0] not in text and "\\" not in text and \
            not any(map(text.lower().__contains__, others)):
        return False
    return _heads(starts).search(text) is not None


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
    end: int | None = None
    for code in _escapes(char):  # (past U+FFFF: two escapes, backslashes before each)
        if run == at or text[run:run + 5].lower() != "u" + code:
            return None
        at = end = run + 5
        run = end
        while text.startswith("\\", run):
            run += 1
    return end


def _escapes(char: str) -> list[str]:
    """The hex digits of the \\uXXXX escapes JSON spells `char` with (a surrogate pair past
    U+FFFF), in lower case."""
    code = ord(char)
    if code < 0x10000:
        return [f"{code:04x}"]
    code -= 0x10000
    return [f"{0xD800 + (code >> 10):04x}", f"{0xDC00 + (code & 0x3FF):04x}"]


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
