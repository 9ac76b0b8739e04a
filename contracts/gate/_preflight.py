"""The gate's first request: is the target this API at all, and does it answer in place?

One POST of a valid generation body with the known-invalid key (so a real backend spends
nothing on it). A ModelsLab backend answers a JSON object with a `status` or a `message`; a
redirect, an HTML page or a JSON answer of another shape means the base URL is wrong, and the
gate stops with exit 2 instead of filing every rule as violated.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts.client import Target
from contracts.reply import Reply, is_fault
from contracts.rules import V6
from contracts.strategies import base
from contracts.vocabulary import INVALID_KEY


def redirect(reply: Reply) -> str | None:
    """Why a 3xx reply stops the gate (None when it is no redirect)."""
    if 300 <= reply.status < 400:
        where = reply.headers.get("location", "elsewhere") if reply.headers else "elsewhere"
        return (f"the backend redirects (HTTP {reply.status} to {where}): give --base-url "
                "the origin that answers the API itself")
    return None


def preflight(target: Target) -> str | None:
    """None when the target answers like this API; otherwise why the gate cannot judge it."""
    reply = target.post(V6, base(V6, key=INVALID_KEY))
    moved = redirect(reply)
    if moved:
        return moved
    if is_fault(reply):
        return None  # no answer or a busy backend: the run's own fault rules decide
    body = reply.body
    if isinstance(body, Mapping) and ("status" in body or "message" in body
                                      or "messege" in body):
        return None
    return (f"the target does not answer as the ModelsLab API: POST {V6} with an invalid key "
            f"answered {reply.short()} (is --base-url the API origin?)")
