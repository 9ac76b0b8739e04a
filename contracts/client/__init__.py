"""The one backend client, used by the gate and the pytest plugin alike.

    from contracts.client import Budget, Target

    with Target("https://modelslab.com", key, Budget(60)) as target:
        reply = target.post("/api/v6/images/text2img", body)      # retries faults
        fetches = target.follow(reply, "/api/v6/images/text2img")  # a queued job, to its end

A `Budget` caps the requests sent (spending past it raises `BudgetExhausted`), a `Backoff`
says how faults are retried and queued jobs waited for; `follow`/`afollow` are the one policy
for following a job, with any sender (the checker follows with the caller's own client).

Names are imported on first use: the pytest plugin needs only the budget when pytest starts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracts.client._budget import Backoff as Backoff
    from contracts.client._budget import Budget as Budget
    from contracts.client._budget import BudgetExhausted as BudgetExhausted
    from contracts.client._follow import Fetch as Fetch
    from contracts.client._follow import FetchPlan as FetchPlan
    from contracts.client._follow import afollow as afollow
    from contracts.client._follow import fetch_endpoint as fetch_endpoint
    from contracts.client._follow import follow as follow
    from contracts.client._follow import plan_fetch as plan_fetch
    from contracts.client._meter import BudgetMeter as BudgetMeter
    from contracts.client._send import retryable as retryable
    from contracts.client._shared import SharedBudget as SharedBudget
    from contracts.client._target import Image as Image
    from contracts.client._target import Target as Target

_HOME = {
    "Backoff": "contracts.client._budget",
    "Budget": "contracts.client._budget",
    "BudgetExhausted": "contracts.client._budget",
    "BudgetMeter": "contracts.client._meter",
    "Fetch": "contracts.client._follow",
    "FetchPlan": "contracts.client._follow",
    "Image": "contracts.client._target",
    "SharedBudget": "contracts.client._shared",
    "Target": "contracts.client._target",
    "afollow": "contracts.client._follow",
    "fetch_endpoint": "contracts.client._follow",
    "follow": "contracts.client._follow",
    "plan_fetch": "contracts.client._follow",
    "retryable": "contracts.client._send",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'contracts.client' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
