"""The words every part of the contract shares: the sides of a rule and the sentinel values.

One home, so the strategies that make cases, the checks that judge them, the gate that sends
them and the plugin that hands them out can never disagree on what a placeholder means.
"""

from __future__ import annotations

from typing import Final, Literal

Side = Literal["inside", "outside"]

#: The payload is within what the rule allows (the backend must accept / the property holds).
INSIDE: Final[Side] = "inside"
#: The payload is past what the rule allows (the backend must reject / cap / say so).
OUTSIDE: Final[Side] = "outside"
SIDES: Final[tuple[Side, Side]] = (INSIDE, OUTSIDE)

#: What the key field holds in generated bodies; clients swap in the real key on the wire, so
#: reports show this placeholder and never the key itself.
KEY: Final = "<api-key>"
#: A key no backend accepts (the outside case of the auth.key rule).
INVALID_KEY: Final = "modelslab-contract-invalid-key"
#: The key the gate and the fixtures use against a mock when no other key is given.
MOCK_KEY: Final = "modelslab-contract-test-key"
#: What the `webhook` field holds in generated bodies; the gate swaps in its receiver's URL.
WEBHOOK: Final = "<webhook-url>"
#: A request id no backend has issued.
UNKNOWN_ID: Final = "mc-unknown-0000"
#: `Prefer` values asking a mock to queue the job and finish it at once (real backends
#: ignore them).
QUEUE: Final[tuple[str, ...]] = ("status=processing", "eta=0")
#: `Prefer` values asking for a queued job that fails when it ends (the mock's scenario).
FAIL: Final[tuple[str, ...]] = ("status=failed", "eta=0")

__all__ = ["FAIL", "INSIDE", "INVALID_KEY", "KEY", "MOCK_KEY", "OUTSIDE", "QUEUE", "SIDES",
           "UNKNOWN_ID", "WEBHOOK", "Side"]
