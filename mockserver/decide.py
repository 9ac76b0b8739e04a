"""The second stage: what to answer a `Call`, as a value (a `Decision`), with no I/O and no state.

Everything the answer depends on comes in: the call, the settings, the time, a random source,
and the few facts the shell knows (the key's rate-limit verdict, how many jobs are pending, the
job a fetch names). The engine (`mockserver.engine`) applies the decision: it stores the job,
sends the webhook, writes the journal and renders the body.

Order of decisions: method, size (413), a `Prefer` value the mock does not know (a validation
error naming the known ones, `mockserver.preferences`), content type, a `Prefer: error=`, the
key (invalid),
the rate limit, validation (the rules' messages), then the generation or the fetch. A body
that is a JSON object is read whatever its Content-Type says (so `curl -d '{...}'`, which
sends a form type, works); any other body with a non-JSON type is a `body.json` validation
error that names the type.

The `workload` queue policy queues a request whose work exceeds four 512x512 images at 20
steps (`bodies.workload` > 4), or any request while 8 or more jobs are pending.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import spec
from contracts import GenerationRequest, parse
from contracts.rules import BODY_JSON
from contracts.vocabulary import INVALID_KEY
from mockserver import bodies
from mockserver.config import MockConfig
from mockserver.jobs import Job
from mockserver.limits import MAX_BODY_DEPTH
from mockserver.request import Call, Prefer, whole_number

#: `workload` policy: queue above this much work (`bodies.workload`) ...
WORKLOAD_UNITS = 4.0
#: ... or while this many jobs are pending.
WORKLOAD_PENDING = 8
_JSON_TYPES = ("application/json", "text/plain", "text/json")

# The decisions are values: never changed once made. They are not `frozen` dataclasses only
# because a frozen dataclass's __init__ costs a call per field, and one is made per request.
# `counts` is a property where it is fixed: compiled (setup.py), a `ClassVar` is read-only
# to the dataclass's own __init__, and a plain class attribute is taken for a field.


@dataclass(slots=True)
class WrongMethod:
    """Not a POST: 204 to a preflight-style OPTIONS, 405 otherwise (not journaled)."""

    status: int
    @property
    def counts(self) -> bool:
        return False


@dataclass(slots=True)
class Error:
    """Answer one of the spec's `x-contract.errors` (or a validation error)."""

    #: The error's name ("invalid_key", "validation", ...): its body and journal outcome.
    name: str
    #: The HTTP status it travels with in the configured error mode.
    status: int
    #: Seconds for a `Retry-After` header (only set when the answer is a 429).
    retry_after: int | None = None
    #: A validation error's messages (field -> sentences) and the rules that found them.
    messages: Mapping[str, list[str]] | None = None
    rules: tuple[str, ...] = ()
    #: The request got past the key checks, so it counts against the key's rate limit.
    counts: bool = False
    #: The message, when it is not the error's usual one.
    message: str | None = None
    #: What fills the message's `{model_id}` (an unknown model).
    model_id: str | None = None


@dataclass(slots=True)
class Generate:
    """Make a job of `request` with `seed`: answered now (`eta` None) or queued for `eta` s."""

    request: GenerationRequest
    seed: int
    eta: float | None
    @property
    def counts(self) -> bool:
        return True
    #: The queued job ends failed (`Prefer: status=failed`, or `failure_rate`).
    fails: bool = False


@dataclass(slots=True)
class Lookup:
    """A valid fetch of job `job_id`: the shell looks it up, then asks `decide_fetch`."""

    job_id: int
    @property
    def counts(self) -> bool:
        return True


@dataclass(slots=True)
class Pending:
    """A fetch of a job still being made: processing, `eta` seconds to go."""

    job: Job
    eta: float
    @property
    def counts(self) -> bool:
        return True


@dataclass(slots=True)
class Ready:
    """A fetch of a finished job: success (the job ends now if it had not yet)."""

    job: Job
    @property
    def counts(self) -> bool:
        return True


Decision = WrongMethod | Error | Generate | Lookup | Pending | Ready


@dataclass(frozen=True, slots=True)
class Dice:
    """The mock's random sources, one stream per use so each is reproducible from the seed."""

    #: Seeds for requests that sent none.
    seeds: random.Random
    #: Whether a generation fails (`failure_rate`).
    failures: random.Random
    #: Simulated latency (drawn by the shell, which owns the delay).
    latency: random.Random

    @classmethod
    def seeded(cls, seed: int) -> Dice:
        return cls(random.Random(f"seeds:{seed}"), random.Random(f"failures:{seed}"),
                   random.Random(f"latency:{seed}"))


def error(name: str, config: MockConfig, *, retry_after: int | None = None,
          counts: bool = False) -> Error:
    """The decision to answer error `name` in the configured error mode."""
    status = bodies.http_status(name, config.error_mode)
    return Error(name, status, retry_after if name == "rate_limit" else None, counts=counts)


def invalid(config: MockConfig, *, messages: Mapping[str, list[str]] | None = None,
            rules: tuple[str, ...] = (), message: str | None = None,
            counts: bool = False) -> Error:
    """The decision to answer a validation error in the configured error mode."""
    return Error("validation", bodies.http_status("validation", config.error_mode),
                 messages=messages, rules=rules, counts=counts, message=message)


def _not_a_json_object(config: MockConfig, why: str) -> Error:
    """A body refused whole (rule `body-json`), before its fields are read."""
    return invalid(config, messages={"body": [why]}, rules=(BODY_JSON.id,))


def decide(call: Call, config: MockConfig, *, dice: Dice, rate_wait: int | None = None,
           pending: int = 0) -> Decision:
    """What to answer `call`.

    Args:
        dice: drawn from for a flaky failure and for a seed the request did not send.
        rate_wait: the key's rate-limit verdict: None when it may go ahead, else seconds to
            wait (the shell counts the request only when the decision `counts`).
        pending: jobs pending now (read by the `workload` queue policy only).
    """
    if call.method != "POST":
        return WrongMethod(204 if call.method == "OPTIONS" else 405)
    if call.size > config.max_body_bytes:
        return error("payload_too_large", config)
    if call.too_deep:
        return _not_a_json_object(config, f"the body nests objects and lists more than "
                                          f"{MAX_BODY_DEPTH} levels deep")
    if call.prefer_refused is not None:
        return invalid(config, message=call.prefer_refused)
    content_type = call.content_type
    if content_type and not (content_type in _JSON_TYPES or content_type.endswith("+json")):
        return _not_a_json_object(config, f"the body must be a JSON object sent as "
                                          f"application/json, not {content_type}")
    prefer = call.prefer
    if prefer.error is not None and prefer.error in spec.contract().errors:
        return error(prefer.error, config, retry_after=1)
    key = call.key
    if type(key) is str:
        accepted = config.accepted_keys
        if key in ("", INVALID_KEY) or (accepted is not None and key not in accepted):
            return error("invalid_key", config)
        if rate_wait is not None:
            return error("rate_limit", config, retry_after=rate_wait)
    parsed = parse(call.template, call.decoded if call.is_object else call.body,
                   path_id=call.path_id)
    request = parsed.request
    if request is None:
        return invalid(config, messages=bodies.messages(parsed.violations),
                       rules=parsed.rule_ids, counts=True)
    if isinstance(request, GenerationRequest):
        models = config.models
        if models is not None and request.model_id not in models \
                and call.decoded.get("model_id") is not None:  # a default is never refused
            decision = error("unknown_model", config, counts=True)
            decision.model_id = request.model_id
            return decision
        eta = _eta(request, prefer, config, pending)
        fails = prefer.status == "failed" or bool(
            config.failure_rate and dice.failures.random() < config.failure_rate)
        if fails and eta is None and prefer.status != "failed":
            return error("failed", config, counts=True)  # answered at once: fails at once
        seed = request.seed if request.seed is not None else dice.seeds.randrange(2 ** 32)
        return Generate(request, seed, config.eta if fails and eta is None else eta, fails)
    job_id = whole_number(request.request_id.strip())
    if job_id is not None:
        return Lookup(job_id)
    return error("unknown_job", config, counts=True)


def decide_fetch(job: Job | None, generation: str, now: float, config: MockConfig) -> Decision:
    """What to answer a fetch (`Lookup`) that found `job` (None: none by that id)."""
    if job is None or (job.endpoint != generation
                       and not spec.contract().same_jobs(job.endpoint, generation)):
        return error("unknown_job", config, counts=True)
    if now < job.due:
        return Pending(job, job.due - now)
    return Ready(job)


def _eta(request: GenerationRequest, prefer: Prefer, config: MockConfig,
         pending: int) -> float | None:
    """Seconds until the job is done if it is queued, None when it is answered at once."""
    if prefer.eta is not None:
        return prefer.eta
    if prefer.status in ("processing", "failed"):
        return config.eta
    if prefer.status == "success":
        return None
    if request.flags.get("instant_response"):  # realtime: queue at once (`instant-response`)
        return config.eta
    policy = config.queue
    if policy == "always":
        return config.eta
    if policy == "workload" and (bodies.workload(request) > WORKLOAD_UNITS
                                 or pending >= WORKLOAD_PENDING):
        return config.eta
    return None
