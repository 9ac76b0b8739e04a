"""The contract checker: every rule applied to one exchange, for tests and scripts alike.

    from contracts.checker import ContractChecker

    checker = ContractChecker()
    checker.check(request_body, response)          # raises AssertionError naming each rule
    final = checker.follow(request_body, response)  # ... and follows a queued job to its end
    final = await checker.afollow(request_body, response, client=async_client)

It needs no pytest (the plugin's `modelslab_contract` fixture is one of these) and imports the
checks, and so openapi-core, only when it first checks something.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts.client import Backoff, Budget, Fetch, FetchPlan, afollow, follow, plan_fetch
from contracts.redaction import Scrubber, secrets_in, show
from contracts.reply import Reply, is_fault
from contracts.rules import PROCESSING_FETCH, RULES, V6, Rule

if TYPE_CHECKING:
    import httpx


def _shown(reply: Reply) -> Any:
    """What a message shows of a reply: its JSON body, else its text."""
    return reply.body if reply.body is not None or not reply.text else reply.text


@dataclass(frozen=True)
class Failure:
    """One rule an exchange broke."""

    rule: Rule
    field: str | None
    expected: str
    seen: str

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"[{self.rule.id}]{where}: {self.rule.title}\n    expected: {self.expected}\n" \
               f"    seen:     {self.seen}"


class ContractChecker:
    """Checks exchanges against every rule of the contract.

    `check` raises an `AssertionError` naming each broken rule, its field and the payload
    (keys redacted); `failures` returns them instead; `follow`/`afollow` also follow a
    processing job through fetch. A response is a decoded body, JSON text or bytes, or an
    httpx/requests response (then its status and headers are checked too).
    """

    def __init__(self, *, secrets: Iterable[str] = (), budget: Budget | None = None,
                 timeout: float = 120.0) -> None:
        self._secrets = tuple(s for s in secrets if s)
        self._budget = budget
        #: Seconds `follow` waits for a job to end, unless told otherwise.
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<ModelsLab contract checker ({len(RULES)} rules)>"

    def failures(self, request_body: Any, response: Any, endpoint: str = V6, *,
                 status: int | None = None, fetched: Any = None,
                 path_id: str | None = None) -> list[Failure]:
        """Every rule the exchange breaks (empty when it conforms)."""
        __tracebackhide__ = True
        from contracts.checks import check_exchange

        reply = Reply.of(response, status)
        final = Reply.of(fetched).body if fetched is not None else None
        outcomes = check_exchange(endpoint, request_body, reply.status, reply.body,
                                  headers=reply.headers, fetched=final, path_id=path_id)
        return [Failure(o.rule, o.field, o.expected, o.seen) for o in outcomes if not o.ok]

    def check(self, request_body: Any, response: Any, endpoint: str = V6, *,
              status: int | None = None, fetched: Any = None,
              path_id: str | None = None) -> None:
        """Raise an `AssertionError` naming every broken rule, or return None.

        `fetched` is the last answer of a queued job's fetches, to check the job as a whole;
        `path_id` the id of a fetch endpoint that has it in its path.
        """
        __tracebackhide__ = True  # the report shows the caller's line, never our arguments
        reply = Reply.of(response, status)
        found = self.failures(request_body, reply, endpoint, fetched=fetched, path_id=path_id)
        if found:
            raise AssertionError(self._message(found, endpoint, request_body, reply, fetched))

    def follow(self, request_body: Any, response: Any, endpoint: str = V6, *,
               status: int | None = None, timeout: float | None = None,
               interval: float | None = None, client: Any = None) -> Any:
        """Check the exchange; if it answered `processing`, fetch `fetch_result` until the job
        ends, checking every fetch and then the job as a whole. Returns the final body.

        `client` is anything with `.post(url, json=...)` (an httpx client, a requests
        session); by default a fresh httpx client, which `modelslab_mock` intercepts. An
        async client needs `afollow`.
        """
        __tracebackhide__ = True
        if inspect.iscoroutinefunction(getattr(client, "post", None)):
            raise TypeError(f"follow() was given an async client ({type(client).__name__}): "
                            "use `await checker.afollow(...)`")
        reply = Reply.of(response, status)
        plan = self._start(request_body, reply, endpoint)
        if plan is None:
            return reply.body
        own = client is None
        if own:
            import httpx

            client = httpx.Client(timeout=30.0)

        def send(p: FetchPlan) -> Reply:
            self._spend(reply, request_body)
            answer = client.post(p.url or p.path, json=p.body)
            if inspect.isawaitable(answer):
                getattr(answer, "close", lambda: None)()
                raise TypeError("follow() was given an async client: use `await "
                                "checker.afollow(...)`")
            return Reply.of(answer)

        last = None
        try:
            for fetch in follow(send, plan, reply.body, self._backoff(timeout),
                                interval=interval):
                self._check_fetch(fetch)
                last = fetch
        finally:
            if own:
                client.close()
        return self._finish(request_body, reply, endpoint, last, timeout)

    async def afollow(self, request_body: Any, response: Any, endpoint: str = V6, *,
                      status: int | None = None, timeout: float | None = None,
                      interval: float | None = None,
                      client: httpx.AsyncClient | None = None) -> Any:
        """`follow` with an async client (by default a fresh httpx.AsyncClient)."""
        __tracebackhide__ = True
        reply = Reply.of(response, status)
        plan = self._start(request_body, reply, endpoint)
        if plan is None:
            return reply.body
        own = client is None
        if client is None:
            import httpx

            client = httpx.AsyncClient(timeout=30.0)
        http = client

        async def send(p: FetchPlan) -> Reply:
            self._spend(reply, request_body)
            answer: Any = http.post(p.url or p.path, json=p.body)
            return Reply.of(await answer if inspect.isawaitable(answer) else answer)

        last = None
        try:
            async for fetch in afollow(send, plan, reply.body, self._backoff(timeout),
                                       interval=interval):
                self._check_fetch(fetch)
                last = fetch
        finally:
            if own:
                await http.aclose()
        return self._finish(request_body, reply, endpoint, last, timeout)

    # -- following, in steps shared by follow and afollow --------------------------------------

    def _start(self, request_body: Any, reply: Reply, endpoint: str) -> FetchPlan | None:
        """Check the first answer; the fetch plan when it queued a job (None otherwise)."""
        __tracebackhide__ = True
        self.check(request_body, reply, endpoint)
        first = reply.body
        if reply.status_field != "processing":
            return None
        url = first.get("fetch_result")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            missing = Failure(PROCESSING_FETCH, "fetch_result", "an absolute fetch_result URL",
                              repr(url))
            raise AssertionError(self._message([missing], endpoint, request_body, reply, None))
        key = request_body.get("key") if isinstance(request_body, Mapping) else None
        return plan_fetch(first, endpoint, key)

    def _backoff(self, timeout: float | None) -> Backoff:
        limit = self.timeout if timeout is None else timeout
        return Backoff(retries=0, base=0.05, cap=2.0, job_wait=limit, fetches=None)

    def _spend(self, first: Reply, request_body: Any) -> None:
        if self._budget is not None:  # the id is the backend's: scrubbed, as any message is
            self._budget.spend(what=self._scrubber(request_body)(
                f"fetch of job {first.body.get('id')!r}"))

    def _check_fetch(self, fetch: Fetch) -> None:
        __tracebackhide__ = True
        self.check(fetch.body, fetch.reply, fetch.endpoint, path_id=fetch.path_id)

    def _finish(self, request_body: Any, reply: Reply, endpoint: str, last: Fetch | None,
                timeout: float | None) -> Any:
        """Fail a job still unfinished; else check it as a whole and return its final body."""
        __tracebackhide__ = True
        if last is None or last.reply.status_field == "processing" or is_fault(last.reply):
            limit = self.timeout if timeout is None else timeout
            state = last.reply.status_field or last.reply.short() if last else "not fetched"
            late = Failure(PROCESSING_FETCH, "status", "success or an error before the follow "
                           "timeout", f"still {state} after {limit:g} s")
            where, body, seen = (last.endpoint, last.body, last.reply) if last else \
                (endpoint, request_body, reply)
            raise AssertionError(self._message([late], where, body, seen, None))
        self.check(request_body, reply, endpoint, fetched=last.reply)
        return last.reply.body

    def _scrubber(self, request_body: Any) -> Scrubber:
        """Hides the checker's secrets and the request's own key in a message (the one point
        where a message is scrubbed: replies are judged raw)."""
        return Scrubber(self._secrets + secrets_in(request_body))

    def _message(self, found: list[Failure], endpoint: str, request_body: Any,
                 reply: Reply, fetched: Any) -> str:
        secrets = self._secrets + secrets_in(request_body)
        rules = ", ".join(dict.fromkeys(f.rule.id for f in found))
        lines = [f"ModelsLab contract violated ({rules}) by POST {endpoint}:"]
        lines += [f"  {f}" for f in found]
        lines.append(f"  request:  {show(request_body, secrets)}")
        lines.append(f"  response: HTTP {reply.status} {show(_shown(reply), secrets)}")
        if fetched is not None:
            lines.append(f"  fetched:  {show(_shown(Reply.of(fetched)), secrets)}")
        return self._scrubber(request_body)("\n".join(lines))
