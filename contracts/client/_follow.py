"""Following a queued job: where to fetch it, how long to wait between fetches, when to stop.

One policy for every caller: the gate's target, the contract checker, sync and async alike.
The sending is the caller's (a function of the plan), so any HTTP client can be followed with.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import spec
from contracts.client._budget import Backoff, Budget
from contracts.reply import Reply, is_fault


@dataclass(frozen=True)
class Fetch:
    """One fetch of a queued job."""

    #: The fetch endpoint's template, e.g. "/api/v6/images/fetch/{id}".
    endpoint: str
    #: The body sent (as the caller gave the key: a placeholder or the key itself).
    body: Any
    reply: Reply
    #: What the path held in place of {id}, for the by-id endpoints.
    path_id: str | None = None


@dataclass(frozen=True)
class FetchPlan:
    """How one queued job is fetched."""

    endpoint: str
    #: The concrete path on the backend the job was queued on.
    path: str
    body: dict[str, Any]
    path_id: str | None
    #: `fetch_result` as the backend gave it, when it is an absolute URL.
    url: str | None

    def fetch(self, reply: Reply) -> Fetch:
        return Fetch(self.endpoint, self.body, reply, self.path_id)


def fetch_endpoint(url: str) -> tuple[str, str | None] | None:
    """The fetch endpoint a `fetch_result` URL names and the job id in its path, if any
    (matched by `spec.contract().route`, the one router)."""
    route = spec.contract().route(urlsplit(url).path)
    if route is None or route.kind != "fetch":
        return None
    return route.template, route.path_id


def plan_fetch(first: Mapping[str, Any], generation: str, key: Any, *,
               via: str | None = None) -> FetchPlan:
    """How to fetch the job `first` (a `processing` body of `generation`) announced: the
    endpoint its `fetch_result` names, else `via`, else the generation's by-body form."""
    job_id = str(first.get("id"))
    url = first.get("fetch_result")
    url = url if isinstance(url, str) and url.startswith(("http://", "https://")) else None
    found = fetch_endpoint(url) if url is not None and via is None else None
    if found is not None:
        template, path_id = found[0], found[1] or job_id
    elif via is not None:
        template, path_id = via, job_id
    else:
        template, path_id = spec.contract().fetch_templates(generation, "body")[0], job_id
    by_path = "{id}" in template
    body: dict[str, Any] = {"key": key} if by_path else {"key": key, "request_id": path_id}
    try:
        path = spec.contract().path_of(template, path_id) if by_path else template
    except ValueError:  # an id no path segment can carry: send it as given, let checks judge
        path = template.replace("{id}", path_id)
    return FetchPlan(template, path, body, path_id if by_path else None, url)


def _eta(body: Any, default: float) -> float:
    try:
        return max(0.0, float(body.get("eta", default)))
    except (TypeError, ValueError, AttributeError):
        return default


class _Polling:
    """The pauses between fetches: the job's eta, at least `base` doubled per fetch, each at
    most `cap`; in all at most `job_wait` (slept or elapsed) and `fetches` fetches."""

    def __init__(self, first: Mapping[str, Any], backoff: Backoff, interval: float | None,
                 clock: Callable[[], float], budget: Budget | None) -> None:
        self.backoff, self.interval, self.clock, self.budget = backoff, interval, clock, budget
        self.start = clock()
        self.waited = 0.0
        self.count = 0
        self.wait = _eta(first, 1.0)

    def pause(self) -> float | None:
        """Seconds to wait before the next fetch, or None: stop following."""
        b = self.backoff
        if (b.fetches is not None and self.count >= b.fetches) \
                or (self.budget is not None and self.budget.exhausted):
            return None
        remaining = b.job_wait - max(self.waited, self.clock() - self.start)
        if remaining <= 0 and self.count:
            return None
        wait = self.wait if self.interval is None else self.interval
        wait = max(0.0, min(wait, b.cap, remaining))
        self.waited += wait
        return wait

    def done(self, reply: Reply) -> bool:
        """Whether the job ended with this fetch (a fault ends nothing: fetch again)."""
        self.count += 1
        if reply.status_field != "processing" and not is_fault(reply):
            return True
        self.wait = max(_eta(reply.body, 0.0), self.backoff.base * 2 ** (self.count - 1))
        return False


def follow(send: Callable[[FetchPlan], Reply], plan: FetchPlan, first: Mapping[str, Any],
           backoff: Backoff, *, interval: float | None = None,
           sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], float] = time.monotonic,
           budget: Budget | None = None) -> Iterator[Fetch]:
    """Fetch the job with `send` until it leaves `processing`, yielding each fetch.

    `interval` replaces the computed pauses; with `budget`, following stops (without raising)
    once it is spent. The caller sees the job unfinished when the last fetch is processing.
    """
    polling = _Polling(first, backoff, interval, clock, budget)
    while (pause := polling.pause()) is not None:
        sleep(pause)
        reply = send(plan)
        yield plan.fetch(reply)
        if polling.done(reply):
            return


async def afollow(send: Callable[[FetchPlan], Awaitable[Reply]], plan: FetchPlan,
                  first: Mapping[str, Any], backoff: Backoff, *,
                  interval: float | None = None,
                  sleep: Callable[[float], Awaitable[None]] | None = None,
                  clock: Callable[[], float] = time.monotonic,
                  budget: Budget | None = None) -> AsyncIterator[Fetch]:
    """`follow` for async senders (httpx.AsyncClient): the same plan, pauses and stops."""
    import asyncio  # here: the pytest plugin imports this module, and pays for no event loop

    polling = _Polling(first, backoff, interval, clock, budget)
    while (pause := polling.pause()) is not None:
        await (sleep or asyncio.sleep)(pause)
        reply = await send(plan)
        yield plan.fetch(reply)
        if polling.done(reply):
            return
