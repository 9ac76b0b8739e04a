"""The mock's settings, the latency distributions they name, and the scenario presets."""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import spec
from mockserver import limits, validate
from mockserver.validate import ERROR_MODES as ERROR_MODES
from mockserver.validate import QUEUE_POLICIES as QUEUE_POLICIES

DEFAULT_WEBHOOK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _max_body_bytes() -> int:
    return int(spec.contract().limits["max_body_bytes"])


@dataclass(frozen=True)
class MockConfig:
    """Everything the mock can be told; every field has a default that suits a test."""

    #: Base of absolute URLs (images, fetch_result); None derives it from each request's Host.
    origin: str | None = None
    #: When a job is queued: "never", "always", or "workload" (see `mockserver.decide`).
    queue: str = "never"
    #: Seconds a queued job takes before fetch answers success.
    eta: float = 2.0
    #: "legacy": every error body with HTTP 200 (as the old API); "http": the error-code
    #: catalogue's statuses (400/401/402/403/404/429/500/503).
    error_mode: str = "legacy"
    #: The real API's quirks: `messege`, `output: ""` while pending, string ids from fetch.
    quirks: bool = True
    #: None, a fixed number of milliseconds, or "uniform:50-200" / "normal:100,30" (ms, seeded).
    latency: float | str | None = None
    #: The mock's own RNG seed: random seeds, latencies and flaky failures are drawn from it.
    seed: int = 0
    #: None accepts any non-empty key; otherwise only these. "" is always an invalid key.
    accepted_keys: frozenset[str] | None = None
    #: Requests per key per minute; None is unlimited.
    rate_limit: int | None = None
    #: Hosts webhooks may be sent to (the mock is no open relay).
    webhook_hosts: tuple[str, ...] = DEFAULT_WEBHOOK_HOSTS
    #: "memory", "sqlite:PATH" (workers, restarts) or "redis://HOST:PORT/DB" (several hosts).
    store: str = "memory"
    #: Most jobs kept; the oldest are evicted first.
    max_jobs: int = 10_000
    #: Seconds a job (and its image links) is kept.
    job_ttl: float = 3600.0
    #: Larger bodies get 413 (from the spec's limits).
    max_body_bytes: int = field(default_factory=_max_body_bytes)
    #: Share of generation requests that fail with "Failed, Try Again" (seeded; 0 to 1): a
    #: queued one ends failed (fetch and webhook say so), one answered at once fails at once.
    failure_rate: float = 0.0
    #: Model ids accepted (others: "Model not found"); None accepts any. "public" (or a list
    #: holding it) means the documented public ids (`x-contract.models.public`).
    models: frozenset[str] | None = None
    #: `latency` parsed, once, when the settings are made (not a setting of its own).
    delay: Latency = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = validate.problems({name: getattr(self, name) for name in SETTINGS})
        try:
            object.__setattr__(self, "delay", Latency.parse(self.latency))
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        # The JSON forms the checks accept (a list, a set, one string) made the types stated
        # above, however the settings were made: the compiled engine (setup.py) refuses a
        # list where it reads a frozenset or a tuple.
        for name, value in _canonical(self).items():
            object.__setattr__(self, name, value)

    def replace(self, **changes: Any) -> MockConfig:
        """A copy with `changes` applied (values in their JSON forms are accepted too)."""
        return dataclasses.replace(self, **_coerce(changes))

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON; accepted keys are shown by count only, never in clear."""
        out = {name: getattr(self, name) for name in SETTINGS}
        out["accepted_keys"] = (None if self.accepted_keys is None
                                else f"{len(self.accepted_keys)} key(s)")
        out["webhook_hosts"] = list(self.webhook_hosts)
        out["models"] = None if self.models is None else sorted(self.models)
        return out


def model_list(value: str | Any) -> frozenset[str]:
    """Model ids from "a,b", a list, or "public" (the documented public ids) among them."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: set[str] = set()
    for item in (str(i).strip() for i in items):
        if item == "public":
            out.update(spec.contract().public_models)
        elif item:
            out.add(item)
    return frozenset(out)


#: The settings' names, in their order (what `to_json` shows and `replace` takes).
SETTINGS = tuple(f.name for f in dataclasses.fields(MockConfig) if f.init)


def _coerce(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(str(n)[:40] for n in unknown[:10])}")
    return dict(changes)  # (their JSON forms are converted by `MockConfig.__post_init__`)


def _canonical(config: MockConfig) -> dict[str, Any]:
    """The settings given in another form than their type's (checked already), converted."""
    out: dict[str, Any] = {}
    keys, hosts, models = config.accepted_keys, config.webhook_hosts, config.models
    if keys is not None and type(keys) is not frozenset:
        out["accepted_keys"] = frozenset([keys] if isinstance(keys, str) else keys)
    if type(hosts) is not tuple:
        out["webhook_hosts"] = tuple([hosts] if isinstance(hosts, str) else hosts)
    if models is not None:  # ("public" among them: the documented public ids)
        out["models"] = model_list(models)
    for name in _FLOATS:  # (a whole number as a float: both builds answer `1.0`, not `1`)
        value = getattr(config, name)
        if type(value) is int:
            out[name] = float(value)
    return out


#: The settings typed float (seconds, shares): JSON may send them as whole numbers.
_FLOATS = tuple(f.name for f in dataclasses.fields(MockConfig) if f.type == "float")


_UNIFORM = re.compile(r"^uniform:\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)$")
_NORMAL = re.compile(r"^normal:\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Latency:
    """A delay in milliseconds: fixed (low == high) or drawn from a distribution."""

    kind: str = "none"
    a: float = 0.0
    b: float = 0.0

    @classmethod
    def parse(cls, value: float | str | None) -> Latency:
        if value is None or value == "" or value == 0:
            return cls()
        if isinstance(value, bool):
            raise ValueError("latency must be milliseconds or a distribution")
        if isinstance(value, int | float):
            if not (math.isfinite(value) and 0 <= value <= limits.MAX_LATENCY_MS):
                raise ValueError(f"latency must be from 0 to {limits.MAX_LATENCY_MS:g} ms")
            return cls("fixed", float(value), float(value))
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError("latency must be null, milliseconds, 'uniform:LOW-HIGH' or "
                             "'normal:MEAN,SD'")
        text = value.strip().lower()
        try:
            return cls.parse(float(text))
        except ValueError:
            pass
        if m := _UNIFORM.match(text):
            low, high = float(m[1]), float(m[2])
            if low > high:
                raise ValueError("latency uniform:LOW-HIGH needs LOW <= HIGH")
            if high > limits.MAX_LATENCY_MS:
                raise ValueError(f"latency must be from 0 to {limits.MAX_LATENCY_MS:g} ms")
            return cls("uniform", low, high)
        if m := _NORMAL.match(text):
            if float(m[1]) + float(m[2]) > limits.MAX_LATENCY_MS:
                raise ValueError(f"latency normal:MEAN,SD needs MEAN + SD <= "
                                 f"{limits.MAX_LATENCY_MS:g} ms (draws are cut there)")
            return cls("normal", float(m[1]), float(m[2]))
        raise ValueError("latency: give milliseconds, 'uniform:LOW-HIGH' "
                         "or 'normal:MEAN,SD'")

    def draw(self, rng: random.Random) -> float:
        """Seconds to wait."""
        if self.kind == "none":
            return 0.0
        if self.kind == "fixed":
            ms = self.a
        elif self.kind == "uniform":
            ms = rng.uniform(self.a, self.b)
        else:
            ms = min(max(0.0, rng.gauss(self.a, self.b)), limits.MAX_LATENCY_MS)
        return ms / 1000.0


#: Named sets of setting changes, applied over the mock's starting configuration.
SCENARIOS: Mapping[str, Mapping[str, Any]] = {
    "default": {},
    "instant": {"queue": "never", "latency": None, "failure_rate": 0.0},
    "slow-queue": {"queue": "always", "eta": 5.0, "latency": "uniform:200-800"},
    "spinner": {"queue": "always", "eta": 3.0, "latency": "uniform:300-1500"},
    "workload": {"queue": "workload"},
    "flaky": {"failure_rate": 0.2, "latency": "uniform:50-400"},
    "http-errors": {"error_mode": "http"},
    "no-quirks": {"quirks": False},
    "rate-limited": {"rate_limit": 5},
    "failing-jobs": {"queue": "always", "failure_rate": 1.0},
}
