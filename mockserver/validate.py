"""Each setting's type and range: what `MockConfig` refuses, with a reason per setting.

A setting is checked by type first (JSON gives `true` for a number, `"no"` for a flag, `5`
for a text: all refused, never coerced), then by range (every number has an upper bound, from
`mockserver.limits`). A reason names the setting and what it takes, never the value sent (it
may be a key). The checks run on the whole new configuration before it replaces the old one,
so a refused change changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mockserver import limits

QUEUE_POLICIES = ("never", "always", "workload")
ERROR_MODES = ("legacy", "http")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _text(value: object, most: int) -> bool:
    """A string of printable characters (no controls, no lone surrogates) of at most `most`."""
    if not isinstance(value, str) or not value or len(value) > most:
        return False
    if not value.isprintable():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _origin(v: Any) -> str | None:
    if v is None:
        return None
    if not _text(v, limits.MAX_ORIGIN_CHARS) or " " in v or \
            not v.lower().startswith(("http://", "https://")):
        return (f"origin must be null or an http(s) URL of at most "
                f"{limits.MAX_ORIGIN_CHARS} characters")
    return None


def _one_of(name: str, options: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if not isinstance(v, str) or v not in options:
            return f"{name} must be one of {', '.join(options)}"
        return None
    return check


def _eta(v: Any) -> str | None:
    if not (_is_number(v) and 0 <= v <= limits.MAX_ETA_SECONDS):
        return f"eta must be a number of seconds from 0 to {limits.MAX_ETA_SECONDS:g}"
    return None


def _quirks(v: Any) -> str | None:
    return None if isinstance(v, bool) else "quirks must be true or false"


def _latency(v: Any) -> str | None:
    if v is None or isinstance(v, str) or _is_number(v):
        return None  # the form and range are Latency.parse's to judge
    return ("latency must be null, milliseconds, 'uniform:LOW-HIGH' or 'normal:MEAN,SD'")


def _seed(v: Any) -> str | None:
    if not (_is_int(v) and 0 <= v < 2 ** 64):
        return "seed must be an integer from 0 to 2**64 - 1"
    return None


def _keys(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = (v,)
    if not isinstance(v, list | tuple | set | frozenset) or not v \
            or len(v) > limits.MAX_KEYS \
            or not all(_text(k, limits.MAX_KEY_CHARS) for k in v):
        return (f"accepted_keys must be null or a list of 1 to {limits.MAX_KEYS} non-empty "
                f"printable strings of at most {limits.MAX_KEY_CHARS} characters")
    return None


def _rate_limit(v: Any) -> str | None:
    if v is not None and not (_is_int(v) and 1 <= v <= limits.MAX_RATE_LIMIT):
        return f"rate_limit must be null or an integer from 1 to {limits.MAX_RATE_LIMIT}"
    return None


def _hosts(v: Any) -> str | None:
    if isinstance(v, str):
        v = (v,)
    if not isinstance(v, list | tuple) or len(v) > limits.MAX_WEBHOOK_HOSTS or \
            not all(_text(h, limits.MAX_HOST_CHARS) and " " not in h for h in v):
        return (f"webhook_hosts must be a list of at most {limits.MAX_WEBHOOK_HOSTS} host "
                f"names of at most {limits.MAX_HOST_CHARS} characters")
    return None


def _store(v: Any) -> str | None:
    from mockserver.jobs import STORE_FORMS, valid_store  # jobs is heavy; checked rarely

    if not (isinstance(v, str) and _text(v, 4096) and valid_store(v)):
        return f"store must be {STORE_FORMS}"
    return None


def _max_jobs(v: Any) -> str | None:
    if not (_is_int(v) and 1 <= v <= limits.MAX_JOBS):
        return f"max_jobs must be an integer from 1 to {limits.MAX_JOBS}"
    return None


def _job_ttl(v: Any) -> str | None:
    if not (_is_number(v) and 0 < v <= limits.MAX_JOB_TTL_SECONDS):
        return f"job_ttl must be seconds above 0, at most {limits.MAX_JOB_TTL_SECONDS:g}"
    return None


def _max_body_bytes(v: Any) -> str | None:
    if not (_is_int(v) and 1 <= v <= limits.MAX_BODY_BYTES_SETTING):
        return (f"max_body_bytes must be an integer from 1 to "
                f"{limits.MAX_BODY_BYTES_SETTING}")
    return None


def _failure_rate(v: Any) -> str | None:
    if not (_is_number(v) and 0 <= v <= 1):
        return "failure_rate must be a number from 0 to 1"
    return None


def _models(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = v.split(",")
    if not isinstance(v, list | tuple | set | frozenset) or not v \
            or len(v) > limits.MAX_MODELS \
            or not all(_text(str(m).strip(), limits.MAX_MODEL_CHARS) for m in v):
        return (f"models must be null or a list of 1 to {limits.MAX_MODELS} model ids of at "
                f"most {limits.MAX_MODEL_CHARS} characters")
    return None


#: Setting -> its check (None: fine, else the reason). Every setting has one (a test says so).
CHECKS: dict[str, Callable[[Any], str | None]] = {
    "origin": _origin, "queue": _one_of("queue", QUEUE_POLICIES), "eta": _eta,
    "error_mode": _one_of("error_mode", ERROR_MODES), "quirks": _quirks, "latency": _latency,
    "seed": _seed, "accepted_keys": _keys, "rate_limit": _rate_limit, "webhook_hosts": _hosts,
    "store": _store, "max_jobs": _max_jobs, "job_ttl": _job_ttl,
    "max_body_bytes": _max_body_bytes, "failure_rate": _failure_rate, "models": _models,
}


def problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be setting `name` (None: it can)."""
    check = CHECKS.get(name)
    return None if check is None else check(value)


def problems(values: dict[str, Any]) -> list[str]:
    """The reasons, one per refused setting, in the settings' order."""
    return [reason for name, value in values.items()
            if (reason := problem(name, value)) is not None]
