"""`invalid.refused`: telling a backend that crashes on bad input from a busy one.

A 5xx is a fault (no verdict) unless it is reproducible and tied to the body: the gate then
sends a valid body (which must succeed) and the same invalid body again (which must crash
again). Only then is the crash a violation of `invalid.refused`; once confirmed, later 5xx
answers to invalid bodies count as violations without another confirmation.
"""

from __future__ import annotations

from contracts.checks import Exchange, Outcome, key_is_ours, violated
from contracts.client import Target
from contracts.parse import parse
from contracts.reply import ACCEPTED, Reply, classify
from contracts.rules import GENERATION, INVALID_REFUSED
from contracts.strategies import base
from contracts.vocabulary import OUTSIDE


def _crashed(reply: Reply) -> bool:
    return reply.error is None and reply.status >= 500


class Crashes:
    """Per gate run: whether a reproducible crash on invalid input has been confirmed."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.confirmed = False

    def confirm(self, ex: Exchange) -> Outcome | None:
        """The violation, when `ex` is an invalid body answered with a crash that recurs."""
        if not _crashed(ex.reply) or ex.endpoint not in GENERATION \
                or not key_is_ours(ex.body) or parse(ex.endpoint, ex.body).ok:
            return None
        if not self.confirmed:
            valid = self.target.post(ex.endpoint, base(ex.endpoint))
            if classify(valid) != ACCEPTED:
                return None
            again = self.target.post(ex.endpoint, ex.body)
            if not _crashed(again):
                return None
            self.confirmed = True
        outcome = violated(INVALID_REFUSED, OUTSIDE, "a refusal (an error body, HTTP < 500)",
                           f"{ex.reply.short()}, again after a valid body succeeded")
        return Outcome(outcome.rule, outcome.verdict, outcome.side, outcome.expected,
                       outcome.seen, ex.body, ex.endpoint)
