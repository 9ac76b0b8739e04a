"""Sort an answer: accepted, rejected, a backend fault, or unclear."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import spec

ACCEPTED = "accepted"
REJECTED = "rejected"
FAULT = "fault"
UNCLEAR = "unclear"

#: Error kinds (keys of x-contract.errors) that say nothing about the request's validity.
FAULT_KINDS = ("rate_limit", "server", "no_credits", "failed")


def error_kind(status: int, body: Any) -> str | None:
    """Which x-contract error an answer is, from its message or (http mode) its status."""
    errors = spec.contract().errors
    message = _message(body)
    if isinstance(message, str):
        text = message.strip().lower()
        for name, info in errors.items():
            if str(info["message"]).lower() in text:
                return name
    if isinstance(body, Mapping) and body.get("status") == "failed":
        return "failed"
    if status >= 500:
        return "server"
    for name, info in errors.items():
        if status >= 400 and int(info["http"]) == status and name not in ("unknown_job",
                                                                           "unknown_model"):
            return name
    return None


def _message(body: Any) -> Any:
    if not isinstance(body, Mapping):
        return None
    return body.get("message", body.get("messege"))


def looks_like_error(status: int, body: Any) -> bool:
    if status >= 400:
        return True
    if not isinstance(body, Mapping):
        return False
    if body.get("status") in ("error", "failed"):
        return True
    return "status" not in body and _message(body) is not None and "output" not in body


def classify(status: int, body: Any, *, transport_error: str | None = None,
             key_is_ours: bool = True) -> str:
    """`key_is_ours`: the request carried the gate's key, so refusing it is a setup fault."""
    if transport_error is not None or status >= 500 or status == 429:
        return FAULT
    kind = error_kind(status, body) if looks_like_error(status, body) else None
    if kind in FAULT_KINDS or (kind == "invalid_key" and key_is_ours):
        return FAULT
    if isinstance(body, Mapping) and body.get("status") in ("success", "processing") \
            and 200 <= status < 300:
        return ACCEPTED
    if looks_like_error(status, body):
        return REJECTED
    return UNCLEAR


def retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None
