"""What a check looks at (an `Exchange`) and what it says (an `Outcome`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from contracts.rules import Rule

PASS = "pass"
VIOLATION = "violation"
NOT_APPLICABLE = "not applicable"


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
    def of(cls, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status, MappingProxyType(dict(headers or {})), body)

    @property
    def status_field(self) -> Any:
        return self.body.get("status") if isinstance(self.body, Mapping) else None

    def short(self) -> str:
        if self.error:
            return f"no answer ({self.error})"
        shown = json.dumps(self.body, default=str) if self.body is not None else repr(self.text)
        return f"HTTP {self.status} {shown[:300]}"


@dataclass(frozen=True)
class Fetch:
    """One fetch of a queued job."""

    endpoint: str
    body: Any
    reply: Reply
    path_id: str | None = None


@dataclass(frozen=True)
class Image:
    """One downloaded output file: its pixel size, or why it could not be read."""

    url: str
    status: int
    size: tuple[int, int] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A request as sent (with the key placeholder, never the key) and all that followed it."""

    endpoint: str
    body: Any
    reply: Reply
    path_id: str | None = None
    #: The fetches that followed a `processing` answer, in order.
    fetches: tuple[Fetch, ...] = ()
    images: tuple[Image, ...] = ()
    #: The rule the payload was made for, when it was a boundary case.
    target: Rule | None = None

    @property
    def final(self) -> Reply | None:
        """The last fetch's answer, if the job was fetched."""
        return self.fetches[-1].reply if self.fetches else None


@dataclass(frozen=True)
class Outcome:
    """What one check concluded about one exchange."""

    rule: Rule
    verdict: str
    #: "inside" or "outside" (None when not applicable).
    side: str | None = None
    expected: str = ""
    seen: str = ""
    #: The request body that showed it (key placeholder, never the key).
    payload: Any = None
    endpoint: str | None = None

    @property
    def applicable(self) -> bool:
        return self.verdict != NOT_APPLICABLE

    @property
    def ok(self) -> bool:
        """Not a violation."""
        return self.verdict != VIOLATION

    @property
    def field(self) -> str | None:
        """The body field the rule guards, when there is one."""
        return self.rule.field

    def __str__(self) -> str:
        if self.verdict == VIOLATION:
            return f"[{self.rule}] {self.side}: expected {self.expected}; saw {self.seen}"
        return f"[{self.rule}] {self.verdict}" + (f" ({self.side})" if self.side else "")


def passed(rule: Rule, side: str) -> Outcome:
    return Outcome(rule, PASS, side)


def violated(rule: Rule, side: str, expected: str, seen: str) -> Outcome:
    return Outcome(rule, VIOLATION, side, expected, seen)


def not_applicable(rule: Rule, why: str = "") -> Outcome:
    return Outcome(rule, NOT_APPLICABLE, None, seen=why)
