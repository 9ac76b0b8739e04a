"""What a check looks at (an `Exchange`) and what it says (an `Outcome`).

The answer model (`Reply`) and what the client saw after it (`Fetch`, `Image`) have their
homes in `contracts.reply` and `contracts.client`; they are named here because an `Exchange`
is made of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.client import Fetch as Fetch
from contracts.client import Image as Image
from contracts.reply import Reply as Reply
from contracts.rules import Rule

PASS = "pass"
VIOLATION = "violation"
NOT_APPLICABLE = "not applicable"


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
    #: The webhook bodies received for this request (None: no receiver was listening).
    webhooks: tuple[Any, ...] | None = None

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
