"""`Prefer` values the mock knows, the error for the ones it does not, `Preference-Applied`.

A typo such as `Prefer: error=bogus` used to answer success, silently; now a value the mock
does not know answers the API's error shape naming the known ones. Preference names it does
not know (`respond-async`, `return=minimal`, Prism's `code=`) are ignored, as RFC 7240 asks.
When a preference took effect the answer says so in `Preference-Applied` (RFC 7240, 3).
"""

from __future__ import annotations

import math
import re

import spec
from mockserver.response import MockResponse

#: The values `Prefer: status=` takes (`mockserver.decide` acts on each: add one there and here).
STATUSES = ("processing", "success", "failed")
HEADER = "preference-applied"


def _tokens(header: str) -> list[tuple[str, str]]:
    """(name, value) pairs, lower-case, in the order sent (the engine's `Prefer.parse` split)."""
    out = []
    for token in re.split(r"[,;]", header):
        name, _, value = token.partition("=")
        if name.strip():
            out.append((name.strip().lower(), value.strip().strip('"').lower()))
    return out


def _eta_ok(value: str) -> bool:
    try:
        eta = float(value)
    except ValueError:
        return False
    return math.isfinite(eta) and eta >= 0


def known() -> str:
    """The preferences the mock knows, as the error message lists them."""
    errors = "|".join(sorted(spec.contract().errors))
    return f"status={'|'.join(STATUSES)}, eta=SECONDS, error={errors}"


def unknown(header: str) -> str | None:
    """A message naming the first value of `status`, `eta` or `error` the mock does not know."""
    for name, value in _tokens(header):
        bad = ((name == "status" and value not in STATUSES)
               or (name == "error" and value not in spec.contract().errors)
               or (name == "eta" and not _eta_ok(value)))
        if bad:
            return f"Prefer: {name}={value or '(empty)'} is not known; known: {known()}"
    return None


def applied(header: str, outcome: str, *, generation: bool) -> list[str]:
    """The preferences of `header` that decided an answer with this journal `outcome`."""
    out = []
    for name, value in _tokens(header):
        took = ((name == "error" and outcome == value)
                or (generation and name == "status" and outcome == value)
                or (generation and name == "eta" and outcome == "processing"))
        if took and f"{name}={value}" not in out:
            out.append(f"{name}={value}")
    return out


def mark_applied(response: MockResponse, header: str, outcome: str, *,
                 generation: bool) -> None:
    """Add `Preference-Applied` to `response` when the preferences of `header` decided it."""
    done = applied(header, outcome, generation=generation)
    if done:
        response.headers[HEADER] = ", ".join(done)
