"""The objects the pytest plugin's fixtures hand to tests: the contract checker, the target,
the request budget, and the handle on the mock server.

Nothing here imports the mock (the plugin passes its objects in) and nothing imports httpx at
module level: the plugin loads this module when pytest starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from contracts.rules import FETCH, RULES, V6

if TYPE_CHECKING:
    import httpx

#: What a redacted API key looks like in messages and reprs.
REDACTED = "<redacted>"
#: Shortest text treated as a secret inside other text.
MIN_SECRET = 8
#: Longest payload shown in an assertion message.
SHOWN_CHARS = 1500
_SECRET_FIELDS = frozenset({"key", "api_key", "apikey", "authorization", "x-api-key"})
_DONE = ("success", "error", "failed")


# -- options and budget ------------------------------------------------------------------------

@dataclass
class Budget:
    """How many requests the fixtures may still send to a real backend (None: no cap)."""

    limit: int | None
    used: int = 0

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    def spend(self, n: int = 1, what: str = "request") -> None:
        """Count `n` requests about to be sent, or fail the test when they would exceed it."""
        __tracebackhide__ = True
        if self.limit is not None and self.used + n > self.limit:
            pytest.fail(f"--modelslab-budget={self.limit} is spent ({self.used} sent): "
                        f"{what} not sent", pytrace=False)
        self.used += n


@dataclass(frozen=True)
class Options:
    """The command-line options, read once per session (kept in `config.stash`)."""

    base_url: str | None
    key_env: str
    seed: int
    budget: Budget = field(compare=False)

    @classmethod
    def from_config(cls, config: pytest.Config) -> Options:
        base_url = config.getoption("modelslab_base_url")
        budget = config.getoption("modelslab_budget")
        if budget is not None and budget < 0:
            raise pytest.UsageError("--modelslab-budget must be 0 or more")
        if base_url and urlsplit(base_url).scheme not in ("http", "https"):
            raise pytest.UsageError(f"--modelslab-base-url must be an http(s) URL, "
                                    f"not {base_url!r}")
        return cls(base_url=base_url.rstrip("/") if base_url else None,
                   key_env=config.getoption("modelslab_key_env"),
                   seed=config.getoption("modelslab_seed"),
                   budget=Budget(budget))

    @property
    def key(self) -> str | None:
        """The key from the environment variable named by --modelslab-key-env, if set."""
        return os.environ.get(self.key_env) or None

    def header(self) -> str:
        """The line pytest prints under its own header (never the key itself)."""
        if self.base_url is None:
            return f"modelslab: target the mock (seed {self.seed})"
        key = "set" if self.key else "NOT set"
        cap = "no budget" if self.budget.limit is None else f"budget {self.budget.limit}"
        return f"modelslab: target {self.base_url} (key from ${self.key_env}: {key}; {cap})"


def marker_changes(node: pytest.Item) -> dict[str, Any]:
    """The settings of every `modelslab` marker on `node`; the closest marker wins."""
    changes: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("modelslab"))):
        if marker.args:
            pytest.fail(f"{node.nodeid}: @pytest.mark.modelslab takes keyword settings only "
                        "(queue=..., error_mode=..., quirks=..., latency=..., seed=...)",
                        pytrace=False)
        changes.update(marker.kwargs)
    return changes


# -- redaction and display ---------------------------------------------------------------------

def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with secret fields and every occurrence of `secrets` hidden.

    Secrets shorter than `MIN_SECRET` are only hidden as field values: replacing every "a"
    of a message because a test used the key "a" would hide the message instead.
    """
    hidden = tuple(s for s in secrets if len(s) >= MIN_SECRET)
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in _SECRET_FIELDS and v not in (None, "")
                    else redact(v, hidden)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, hidden) for v in value]
    if isinstance(value, str):
        for secret in hidden:
            value = value.replace(secret, REDACTED)
    return value


def show(value: Any, secrets: Iterable[str] = ()) -> str:
    """A JSON value as one line for a message, redacted and shortened."""
    text = json.dumps(redact(value, secrets), ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} chars)"


def _secrets_in(body: Any) -> tuple[str, ...]:
    if isinstance(body, Mapping):
        return tuple(str(v) for k, v in body.items()
                     if str(k).lower() in _SECRET_FIELDS and v not in (None, ""))
    return ()


@dataclass(frozen=True)
class Answer:
    """One HTTP answer as the checks see it."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, response: Any, status: int | None = None) -> Answer:
        """From a decoded body, JSON text or bytes, or a response object (httpx, requests)."""
        if isinstance(response, Answer):
            return response if status is None else cls(status, response.body, response.headers)
        if hasattr(response, "status_code") and hasattr(response, "json"):
            try:
                body = response.json()
            except ValueError:
                body = response.text
            return cls(response.status_code if status is None else status, body,
                       dict(response.headers))
        if isinstance(response, bytes | bytearray):
            response = bytes(response).decode("utf-8", "replace")
        if isinstance(response, str):
            with contextlib.suppress(ValueError):
                response = json.loads(response)
        return cls(200 if status is None else status, response)


# -- the contract checker ----------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    """One rule an exchange broke."""

    rule: str
    field: str | None
    expected: str
    seen: str

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        title = f": {RULES[self.rule].title}" if self.rule in RULES else ""
        return f"[{self.rule}]{where}{title}\n    expected: {self.expected}\n    seen:     " \
               f"{self.seen}"


def fetch_endpoint(url: str) -> tuple[str, str | None]:
    """The fetch endpoint a `fetch_result` URL names, and the job id in its path."""
    path = urlsplit(url).path.rstrip("/")
    for template in FETCH:
        if "{id}" not in template:
            if path == template:
                return template, None
            continue
        head = template.removesuffix("{id}")
        rest = path[len(head):]
        if path.startswith(head) and rest and "/" not in rest:
            return template, rest
    return FETCH[1], None


class ContractChecker:
    """`modelslab_contract`: checks exchanges against every rule of the contract.

    `check` raises an `AssertionError` naming each broken rule, its field and the payload;
    `failures` returns them instead; `follow` also follows a processing job through fetch.
    A response is a decoded body, JSON text, or an httpx/requests response (then its status
    and headers are checked too).
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

        answer = Answer.of(response, status)
        final = Answer.of(fetched).body if fetched is not None else None
        outcomes = check_exchange(endpoint, request_body, answer.status, answer.body,
                                  headers=answer.headers, fetched=final, path_id=path_id)
        return [Failure(o.rule.id, o.field, o.expected, o.seen) for o in outcomes if not o.ok]

    def check(self, request_body: Any, response: Any, endpoint: str = V6, *,
              status: int | None = None, fetched: Any = None,
              path_id: str | None = None) -> None:
        """Raise an `AssertionError` naming every broken rule, or return None.

        `fetched` is the last answer of a queued job's fetches, to check the job as a whole;
        `path_id` the id of a fetch endpoint that has it in its path.
        """
        __tracebackhide__ = True  # the report shows the caller's line, never our arguments
        answer = Answer.of(response, status)
        found = self.failures(request_body, answer, endpoint, status=answer.status,
                              fetched=fetched, path_id=path_id)
        if found:
            raise AssertionError(self._message(found, endpoint, request_body, answer, fetched))

    def follow(self, request_body: Any, response: Any, endpoint: str = V6, *,
               status: int | None = None, timeout: float | None = None,
               interval: float | None = None, client: Any = None) -> Any:
        """Check the exchange; if it answered `processing`, fetch `fetch_result` until the job
        ends, checking every fetch and then the job as a whole. Returns the final body.

        `client` is anything with `.post(url, json=...)` (an httpx client, a requests session);
        by default a fresh httpx client, which `modelslab_mock` intercepts.
        """
        __tracebackhide__ = True
        answer = Answer.of(response, status)
        self.check(request_body, answer, endpoint)
        first = answer.body
        if not (isinstance(first, Mapping) and first.get("status") == "processing"):
            return first
        url = first.get("fetch_result")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            missing = Failure("processing.fetch", "fetch_result", "an absolute fetch_result URL",
                              repr(url))
            raise AssertionError(self._message([missing], endpoint, request_body, answer, None))
        final = self._poll(request_body, first, url, timeout, interval, client)
        self.check(request_body, answer, endpoint, fetched=final)
        return final.body

    def _poll(self, request_body: Any, first: Mapping[str, Any], url: str,
              timeout: float | None, interval: float | None, client: Any) -> Answer:
        __tracebackhide__ = True
        key = request_body.get("key") if isinstance(request_body, Mapping) else None
        endpoint, path_id = fetch_endpoint(url)
        body = {"key": key} if path_id else {"key": key, "request_id": first.get("id")}
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        pause = interval if interval is not None else _pause(first.get("eta"))
        own = client is None
        if own:
            import httpx

            client = httpx.Client(timeout=30.0)
        try:
            while True:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                if self._budget is not None:
                    self._budget.spend(what=f"fetch of job {first.get('id')!r}")
                answer = Answer.of(client.post(url, json=body))
                self.check(body, answer, endpoint, path_id=path_id)
                state = answer.body.get("status") if isinstance(answer.body, Mapping) else None
                if state in _DONE:
                    return answer
                if time.monotonic() >= deadline:
                    late = Failure("processing.fetch", "status", "success or an error before "
                                   "the follow timeout", f"still {state} after {limit:g} s")
                    raise AssertionError(self._message([late], endpoint, body, answer, None))
                if interval is None and isinstance(answer.body, Mapping):
                    pause = _pause(answer.body.get("eta"))
        finally:
            if own:
                client.close()

    def _message(self, found: list[Failure], endpoint: str, request_body: Any,
                 answer: Answer, fetched: Any) -> str:
        secrets = self._secrets + _secrets_in(request_body)
        rules = ", ".join(dict.fromkeys(f.rule for f in found))
        lines = [f"ModelsLab contract violated ({rules}) by POST {endpoint}:"]
        lines += [f"  {f}" for f in found]
        lines.append(f"  request:  {show(request_body, secrets)}")
        lines.append(f"  response: HTTP {answer.status} {show(answer.body, secrets)}")
        if fetched is not None:
            lines.append(f"  fetched:  {show(Answer.of(fetched).body, secrets)}")
        text: str = redact("\n".join(lines), secrets)
        return text


def _pause(eta: Any) -> float:
    """Seconds to wait before the next fetch: the job's eta, within [0.05, 2]."""
    try:
        seconds = float(eta)
    except (TypeError, ValueError):
        seconds = 1.0
    return min(2.0, max(0.05, seconds))


# -- targets and the mock over HTTP ------------------------------------------------------------

class ServerHandle:
    """`modelslab_server`: a mock (or another backend) at `.url`.

    A mock the fixtures started is controlled through its engine; one given by
    --modelslab-base-url through its `/__mock/` admin API; a real backend not at all (the
    controls skip the test).
    """

    def __init__(self, url: str, *, is_mock: bool, engine: Any = None) -> None:
        self.url = url.rstrip("/")
        self.is_mock = is_mock
        #: The in-process engine, when the fixtures started the server (None otherwise).
        self.engine = engine

    def __repr__(self) -> str:
        kind = "mock" if self.is_mock else "backend"
        return f"<ModelsLab {kind} at {self.url}>"

    def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        if not self.is_mock:
            pytest.skip(f"{self.url} is not a modelslab-contract mock: it has no /__mock/ "
                        "admin API to configure, reset or read a journal from")
        import httpx

        with httpx.Client(timeout=10.0, trust_env=False) as http:
            answer = http.request(method, f"{self.url}/__mock/{path}", json=body)
        if answer.status_code >= 400:
            raise ValueError(answer.json().get("message") if answer.content else
                             f"{method} /__mock/{path}: HTTP {answer.status_code}")
        return answer.json() if answer.content else None

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change the mock's settings until the next reset; returns them all (as JSON)."""
        if self.engine is not None:
            result: dict[str, Any] = self.engine.configure(**changes).to_json()
            return result
        answer: dict[str, Any] = self._admin("POST", "config", dict(changes))
        return answer

    @property
    def config(self) -> dict[str, Any]:
        """The mock's current settings (as JSON; accepted keys by count only)."""
        if self.engine is not None:
            result: dict[str, Any] = self.engine.config.to_json()
            return result
        answer: dict[str, Any] = self._admin("GET", "config")
        return answer

    def reset(self) -> None:
        """Forget jobs and journal and go back to the starting settings."""
        if self.engine is not None:
            self.engine.reset()
        else:
            self._admin("POST", "reset")

    @property
    def journal(self) -> list[dict[str, Any]]:
        """What the mock was asked (and the webhooks it sent) since the last reset, keys
        redacted."""
        if self.engine is not None:
            entries: list[dict[str, Any]] = self.engine.journal.entries()
            return entries
        answer: list[dict[str, Any]] = self._admin("GET", "journal")["entries"]
        return answer


def probe_mock(url: str) -> bool:
    """Whether `url` is a modelslab-contract mock (it answers `/__mock/health`)."""
    import httpx

    try:
        with httpx.Client(timeout=5.0, trust_env=False) as http:
            answer = http.get(url.rstrip("/") + "/__mock/health")
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


class Target:
    """`modelslab_target`: the backend the options chose, with the key to use on it.

    `.base_url` is its origin, `.key` the key (never shown in a repr or a message),
    `.is_mock` whether it is a modelslab-contract mock; `.client()` is an httpx client on it that
    counts requests against `--modelslab-budget`.
    """

    def __init__(self, base_url: str, key: str, *, is_mock: bool,
                 server: ServerHandle | None = None, budget: Budget | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self.is_mock = is_mock
        self.server = server
        self.budget = budget

    @property
    def key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return f"<ModelsLab target {self.base_url} ({'mock' if self.is_mock else 'real'}), " \
               f"key={REDACTED}>"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def body(self, prompt: str = "a red fox in the snow", *, model_id: str = "midjourney",
             **fields: Any) -> dict[str, Any]:
        """A generation body for this target: the key, a model, a prompt and `fields`."""
        return {"key": self._key, "model_id": model_id, "prompt": prompt, **fields}

    def spend(self, n: int = 1) -> None:
        """Count requests sent by a client the fixtures do not see (requests, aiohttp...)."""
        if self.budget is not None:
            self.budget.spend(n)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on `base_url` whose requests count against the budget."""
        import httpx

        def count(request: httpx.Request) -> None:
            self.spend()

        hooks = kwargs.pop("event_hooks", {})
        hooks = {**hooks, "request": [*hooks.get("request", ()), count]}
        kwargs.setdefault("timeout", 60.0)
        return httpx.Client(base_url=self.base_url, event_hooks=hooks, **kwargs)

