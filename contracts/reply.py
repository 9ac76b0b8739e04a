"""One HTTP answer as every part of the contract sees it, and the one way answers are sorted.

The gate's client, the checks, the checker, the pytest plugin and the schemathesis hooks all
hold answers as a `Reply` (built by `Reply.of` from whatever they received) and all ask
`classify` whether an answer accepted, rejected, or says nothing because the backend faulted.
Nothing here imports httpx or requests: responses are read by duck typing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import spec

ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
FAULT: Final = "fault"
UNCLEAR: Final = "unclear"

#: Error kinds (keys of x-contract.errors) that say nothing about the request's validity.
FAULT_KINDS: Final = ("rate_limit", "server", "no_credits", "failed")
#: Characters of a non-JSON body kept in `Reply.text`.
TEXT_CHARS: Final = 200


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, headers and the decoded JSON body (None if it was not JSON)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=_empty)
    body: Any = None
    #: The raw text when the body was not JSON (first 200 characters).
    text: str = ""
    #: A transport failure (timeout, refused connection): no answer at all.
    error: str | None = None

    @classmethod
    def of(cls, x: Any, status: int | None = None,
           headers: Mapping[str, Any] | None = None) -> Reply:
        """The reply in `x`: an httpx, requests or schemathesis response (status and headers
        read from it), bytes or text (decoded as JSON when it is JSON), a decoded JSON value,
        or a `Reply`. `status` and `headers` override what `x` says (default 200, none)."""
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            raise TypeError(f"Reply.of(x, status, headers): status must be an int, not "
                            f"{type(status).__name__} (the order is body first)")
        if isinstance(x, Reply):
            return cls(x.status if status is None else status,
                       x.headers if headers is None else _headers(headers), x.body, x.text,
                       x.error)
        if hasattr(x, "status_code") and (hasattr(x, "content") or hasattr(x, "text")):
            raw = x.content if hasattr(x, "content") else x.text
            return cls._decoded(raw, x.status_code if status is None else status,
                                dict(x.headers) if headers is None else headers)
        if isinstance(x, bytes | bytearray | memoryview | str):
            return cls._decoded(x, 200 if status is None else status, headers or {})
        return cls(200 if status is None else status, _headers(headers or {}), x)

    @classmethod
    def _decoded(cls, raw: Any, status: int, headers: Mapping[str, Any]) -> Reply:
        if isinstance(raw, memoryview | bytearray):
            raw = bytes(raw)
        try:
            return cls(status, _headers(headers), json.loads(raw))
        except (TypeError, ValueError):
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            return cls(status, _headers(headers), None, text[:TEXT_CHARS])

    @property
    def status_field(self) -> Any:
        """The body's own `status` ("success", "processing", "error", ...), if it has one."""
        return self.body.get("status") if isinstance(self.body, Mapping) else None

    def short(self) -> str:
        """One line for reports: the status and the start of the body."""
        if self.error:
            return f"no answer ({self.error})"
        shown = json.dumps(self.body, default=str) if self.body is not None else repr(self.text)
        return f"HTTP {self.status} {shown[:300]}"


def _headers(headers: Mapping[str, Any]) -> Mapping[str, str]:
    """Header values as text; a list (schemathesis keeps every value) gives its first."""
    return MappingProxyType({str(k): (str(v[0]) if isinstance(v, list | tuple) and v else str(v))
                             for k, v in headers.items()})


def _message(body: Any) -> Any:
    if not isinstance(body, Mapping):
        return None
    return body.get("message", body.get("messege"))


def is_fault(reply: Reply) -> bool:
    """No answer, a server error or a rate limit: the reply tells nothing about the request."""
    return reply.error is not None or reply.status >= 500 or reply.status == 429


def looks_like_error(reply: Reply) -> bool:
    """Whether the reply is an error (by HTTP status or by its body, whatever the status)."""
    body = reply.body
    if reply.status >= 400:
        return True
    if not isinstance(body, Mapping):
        return False
    if body.get("status") in ("error", "failed"):
        return True
    return "status" not in body and _message(body) is not None and "output" not in body


def error_kind(reply: Reply) -> str | None:
    """Which x-contract error a reply is, from its message or (http mode) its status."""
    errors = spec.contract().errors
    message = _message(reply.body)
    if isinstance(message, str):
        text = message.strip().lower()
        for name, info in errors.items():
            if str(info["message"]).lower() in text:
                return name
    if isinstance(reply.body, Mapping) and reply.body.get("status") == "failed":
        return "failed"
    if reply.status >= 500:
        return "server"
    for name, info in errors.items():
        if reply.status >= 400 and int(info["http"]) == reply.status \
                and name not in ("unknown_job", "unknown_model"):
            return name
    return None


def classify(reply: Reply, *, key_is_ours: bool = True) -> str:
    """ACCEPTED, REJECTED, FAULT or UNCLEAR.

    `key_is_ours`: the request carried the caller's own key, so a refused key is a setup
    fault, not a verdict on the request.
    """
    if is_fault(reply):
        return FAULT
    error = looks_like_error(reply)
    kind = error_kind(reply) if error else None
    if kind in FAULT_KINDS or (kind == "invalid_key" and key_is_ours):
        return FAULT
    if reply.status_field in ("success", "processing") and 200 <= reply.status < 300:
        return ACCEPTED
    return REJECTED if error else UNCLEAR


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a `Retry-After` header asks to wait (None when absent or not a number)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


__all__ = ["ACCEPTED", "FAULT", "FAULT_KINDS", "REJECTED", "UNCLEAR", "Reply", "classify",
           "error_kind", "is_fault", "looks_like_error", "retry_after"]
