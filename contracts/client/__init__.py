"""The one backend client, used by the gate and the pytest plugin alike.

    from contracts.client import Budget, Target

    with Target("https://modelslab.com", key, Budget(60)) as target:
        reply = target.post("/api/v6/images/text2img", body)      # retries faults
        fetches = target.follow(reply, "/api/v6/images/text2img")  # a queued job, to its end

A `Budget` caps the requests sent (spending past it raises `BudgetExhausted`), a `Backoff`
says how faults are retried and queued jobs waited for; `follow`/`afollow` are the one policy
for following a job, with any sender (the checker follows with the caller's own client).
"""

from contracts.client._budget import Backoff, Budget, BudgetExhausted
from contracts.client._follow import Fetch, FetchPlan, afollow, fetch_endpoint, follow, plan_fetch
from contracts.client._target import Image, Target, retryable

__all__ = [
    "Backoff",
    "Budget",
    "BudgetExhausted",
    "Fetch",
    "FetchPlan",
    "Image",
    "Target",
    "afollow",
    "fetch_endpoint",
    "follow",
    "plan_fetch",
    "retryable",
]
