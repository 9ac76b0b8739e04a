"""Parse a raw body into a canonical request, or into every violation it contains.

Limits come from `spec.contract()`; this module only knows how each kind of field travels.
Parsing never raises on input: any JSON value, any bytes, give a `Parsed`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, TypeVar

import spec
from contracts import _wire
from contracts._wire import WireError
from contracts.model import (
    ContractViolation,
    FetchRequest,
    GenerationRequest,
    Lora,
    Parsed,
    Violation,
)

Body = bytes | str | Mapping[str, Any] | Any

_COERCE: Mapping[str, Callable[[Any], Any]] = MappingProxyType({
    "string": _wire.to_string, "url": _wire.to_string, "integer": _wire.to_int,
    "seed": _wire.to_int, "number": _wire.to_number, "flag": _wire.to_flag,
    "enum": _wire.to_string, "upscale": _wire.to_upscale, "id_list": _wire.to_id_list,
    "strength_list": _wire.to_strength_list, "track_id": _wire.to_track_id,
})


def _decode(raw: Body) -> tuple[Mapping[str, Any] | None, Violation | None]:
    value = raw
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            value = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return None, Violation("body.json", None, "the body is not UTF-8 text")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None, Violation("body.json", None, "the body is not valid JSON")
    if not isinstance(value, Mapping):
        kind = type(value).__name__ if value is not None else "null"
        return None, Violation("body.json", None, f"the body must be a JSON object, not {kind}")
    return value, None


def _range_rule(f: spec.Field, suffix: str) -> str:
    for rule in f.rules:
        if rule.endswith(suffix):
            return rule
    return f"{f.name}{suffix}"


def _num(value: float) -> str:
    """A number for a message: 7.5, 1024, or a shortened huge integer (no float overflow)."""
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"
    return f"{value:g}"


def _bounds(f: spec.Field) -> str:
    low = "" if f.minimum is None else _num(f.minimum)
    high = "" if f.maximum is None else _num(f.maximum)
    if low and high:
        return f"from {low} to {high}"
    return f"at least {low}" if low else f"at most {high}"


Limiter = Callable[[Any, list[Violation]], Any]


def _enum_limiter(f: spec.Field) -> Limiter:
    allowed = frozenset(f.enum or ())
    aliases = dict(f.aliases)
    rule = _range_rule(f, ".enum")
    count = len(allowed)
    shown = ", ".join((f.enum or ())[:4]) + (", ..." if count > 4 else "")

    def check(value: Any, out: list[Violation]) -> Any:
        canonical = aliases.get(value, value)
        if canonical not in allowed:
            out.append(Violation(rule, f.name, f"{value!r} is not one of the {count} documented "
                                               f"values ({shown})"))
        return canonical

    return check


def _range_limiter(f: spec.Field, *, cap: bool = True) -> Limiter:
    low, high, multiple = f.minimum, f.maximum, f.multiple_of
    limit = f.cap if cap else None
    range_rule, min_rule = _range_rule(f, ".range"), _range_rule(f, ".min")
    bounds = _bounds(f)

    def check(value: Any, out: list[Violation]) -> Any:
        for v in value if type(value) is tuple else (value,):
            if low is not None and v < low:
                if f.cap is not None:  # a capped field has no maximum, only a minimum
                    out.append(Violation(min_rule, f.name,
                                         f"must be at least {_num(low)}, got {_num(v)}"))
                else:
                    out.append(Violation(range_rule, f.name, f"must be {bounds}, got {_num(v)}"))
                return value
            if high is not None and v > high:
                out.append(Violation(range_rule, f.name, f"must be {bounds}, got {_num(v)}"))
                return value
            if multiple and v % multiple:
                out.append(Violation(range_rule, f.name,
                                     f"must be a multiple of {multiple}, got {_num(v)}"))
                return value
        if limit is not None and value > limit:
            return type(value)(limit)
        return value

    return check


def _limiter(f: spec.Field, *, cap: bool = True) -> Limiter | None:
    """The field's min/max/multiple/cap/enum as one closure, or None when it has none.

    With `cap=False` the value is never capped (the caller caps it afterwards)."""
    if f.kind == "enum":
        return _enum_limiter(f)
    if f.kind in ("id_list", "string", "url", "track_id", "flag") or all(
            v is None for v in (f.minimum, f.maximum, f.cap, f.multiple_of)):
        return None
    return _range_limiter(f, cap=cap)


#: A field's step: its raw (non-null) value -> its canonical value, appending any violation to
#: the list (the value returned then does not matter: the request is rejected).
Step = Callable[[Any, list[Violation]], Any]

_INF = float("inf")
#: Floats in this range are what `_wire.to_number` returns unchanged.
_FINITE = 1e299


def _step(f: spec.Field, coerce: Callable[[Any], Any], limiter: Limiter | None) -> Step:
    """Coerce and limit one field, with a fast path for the value's plain JSON form.

    The fast path only accepts what the general path would return unchanged (a `str` for a
    string, an `int` for an integer, a `bool` for a flag, a finite `float` for a number) and
    within the limits; anything else takes the general path, messages and all.
    """
    name = f.name

    def general(raw: Any, out: list[Violation]) -> Any:
        try:
            coerced = coerce(raw)
        except WireError as exc:
            out.append(Violation("field.type", name, str(exc)))
            return None
        except (TypeError, ValueError, OverflowError):
            out.append(Violation("field.type", name, "has a value of the wrong form"))
            return None
        return coerced if limiter is None else limiter(coerced, out)

    kind = f.kind
    if kind in ("string", "url"):
        def string(raw: Any, out: list[Violation]) -> Any:
            return raw if type(raw) is str else general(raw, out)
        return string
    if kind == "flag":
        def flag(raw: Any, out: list[Violation]) -> Any:
            return raw if raw is True or raw is False else general(raw, out)
        return flag
    if kind == "enum":
        allowed = frozenset(f.enum or ())
        aliases = dict(f.aliases)

        def enum(raw: Any, out: list[Violation]) -> Any:
            if type(raw) is str:
                canonical = aliases.get(raw, raw)
                if canonical in allowed:
                    return canonical
            return general(raw, out)
        return enum
    if kind in ("integer", "seed", "number"):
        low = -_INF if f.minimum is None else f.minimum
        high = _INF if f.maximum is None else f.maximum
        if kind == "number":
            low, high = max(low, -_FINITE), min(high, _FINITE)
            wanted: Any = float
        else:
            wanted = int
        multiple = f.multiple_of

        def number(raw: Any, out: list[Violation]) -> Any:
            if type(raw) is wanted and low <= raw <= high:
                return raw
            return general(raw, out)

        def multiple_of(raw: Any, out: list[Violation]) -> Any:
            if type(raw) is wanted and low <= raw <= high and not raw % multiple:
                return raw
            return general(raw, out)
        return multiple_of if multiple else number
    return general


@dataclass(frozen=True)
class _Plan:
    """What parsing one endpoint needs, worked out once: the parser is on the mock's hot path."""

    #: name -> (field, coercer, limits checker or None)
    by_name: Mapping[str, tuple[spec.Field, Callable[[Any], Any], Limiter | None]]
    #: name -> the field's step (coerce and limit; a capped field is capped afterwards)
    steps: dict[str, Step]
    #: Every field's default, coerced (defaults are stated in wire form: "no", 512). A plain
    #: dict, copied per request and never mutated: copying a mappingproxy costs 15x more.
    defaults: dict[str, Any]
    required: tuple[str, ...]
    flags: tuple[str, ...]
    options: tuple[str, ...]
    #: (name, cap) of every capped field.
    caps: tuple[tuple[str, float], ...]
    names: frozenset[str]


@cache
def _plan(endpoint: str) -> _Plan:
    fields = spec.contract().generation[endpoint]
    return _Plan(
        by_name=MappingProxyType({f.name: (f, _COERCE[f.kind], _limiter(f)) for f in fields}),
        steps={f.name: _step(f, _COERCE[f.kind], _limiter(f, cap=False)) for f in fields},
        defaults={f.name: None if f.default is None else _COERCE[f.kind](f.default)
                  for f in fields},
        required=tuple(f.name for f in fields if f.required),
        flags=tuple(f.name for f in fields if f.kind == "flag"),
        options=tuple(f.name for f in fields if f.name not in _TYPED and f.kind != "flag"),
        caps=tuple((f.name, f.cap) for f in fields if f.cap is not None),
        names=frozenset(f.name for f in fields),
    )


def _generation(endpoint: str, body: Mapping[str, Any]) -> Parsed:
    plan = _plan(endpoint)
    values = plan.defaults.copy()
    out: list[Violation] = []
    for name in plan.required:
        if body.get(name) is None:
            out.append(Violation("field.required", name, "is required"))
    steps = plan.steps
    for name, raw in body.items():
        step = steps.get(name)
        if step is not None and raw is not None:
            values[name] = step(raw, out)
    if out:
        return Parsed(None, tuple(out))
    # Capped fields: the request records the value asked for, the effective one is capped.
    requested: dict[str, Any] = {}
    for name, cap in plan.caps:
        requested[name] = value = values[name]
        if body.get(name) is not None and value > cap:
            values[name] = type(value)(cap)
    loras = _loras(values.get("lora_model") or (), values.get("lora_strength") or (), out)
    if out:
        return Parsed(None, tuple(out))
    return Parsed(_build(endpoint, body, values, requested, loras, plan))


def _loras(ids: tuple[str, ...], strengths: tuple[float, ...],
           out: list[Violation]) -> tuple[Lora, ...]:
    if strengths and len(strengths) != len(ids):
        out.append(Violation("lora.count", "lora_strength",
                             f"{len(strengths)} strength(s) for {len(ids)} LoRA id(s): give "
                             "one strength per lora_model id, or none"))
        return ()
    if not strengths:
        return tuple([_new(Lora, {"id": i, "strength": 1.0, "strength_given": False})
                      for i in ids])
    return tuple([_new(Lora, {"id": i, "strength": s, "strength_given": True})
                  for i, s in zip(ids, strengths, strict=True)])


_TYPED = {"key", "model_id", "prompt", "negative_prompt", "width", "height", "samples",
          "num_inference_steps", "guidance_scale", "seed", "lora_model", "lora_strength",
          "scheduler", "upscale", "clip_skip", "webhook", "track_id"}


#: The `extras` of a body with documented fields only (read-only, so one serves them all).
_NO_EXTRAS: Mapping[str, Any] = MappingProxyType({})


def _build(endpoint: str, body: Mapping[str, Any], values: dict[str, Any],
           requested: dict[str, Any], loras: tuple[Lora, ...], plan: _Plan) -> GenerationRequest:
    contract = spec.contract()
    flags = {name: bool(values[name]) for name in plan.flags}
    options = {name: values[name] for name in plan.options}
    model_id = values["model_id"]
    ignored: tuple[str, ...] = ()
    if model_id in contract.flux_models:
        ignored = tuple(n for n in contract.flux_unsupported if body.get(n) not in (None, ""))
    return _new(GenerationRequest, {
        "endpoint": endpoint,
        "key": values["key"],
        "model_id": model_id,
        "prompt": values["prompt"],
        "negative_prompt": values["negative_prompt"],
        "width": values["width"],
        "height": values["height"],
        "samples": values["samples"],
        "steps": values["num_inference_steps"],
        "steps_requested": requested.get("num_inference_steps", values["num_inference_steps"]),
        "guidance_scale": float(values["guidance_scale"]),
        "seed": values["seed"],
        "loras": loras,
        "scheduler": values["scheduler"],
        "upscale": values["upscale"],
        "clip_skip": values["clip_skip"],
        "flags": MappingProxyType(flags),
        "options": MappingProxyType(options),
        "webhook": values["webhook"] or None,
        "track_id": values["track_id"],
        "extras": _NO_EXTRAS if body.keys() <= plan.names else
        MappingProxyType({k: v for k, v in body.items() if k not in plan.names}),
        "ignored": ignored,
    })


_T = TypeVar("_T")


def _new(cls: type[_T], fields: dict[str, Any]) -> _T:
    """An instance of a frozen dataclass from every one of its fields, in order: what its
    `__init__` makes, without one `object.__setattr__` per field (a fifth of the parser's
    time on the mock's hot path). Only for classes without `__post_init__` or `InitVar`s."""
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", fields)
    return instance


def _fetch(endpoint: str, body: Mapping[str, Any], path_id: str | None) -> Parsed:
    out: list[Violation] = []
    key = body.get("key")
    if key is None:
        out.append(Violation("field.required", "key", "is required"))
    elif not isinstance(key, str):
        out.append(Violation("field.type", "key", "expected a string"))
    request_id: Any = path_id if path_id is not None else body.get("request_id")
    if request_id is None or request_id == "":
        out.append(Violation("field.required", "request_id", "is required"))
    elif isinstance(request_id, bool) or not isinstance(request_id, int | str):
        out.append(Violation("field.type", "request_id", "expected an integer or a string"))
    if out:
        return Parsed(None, tuple(out))
    return Parsed(FetchRequest(endpoint, str(key), str(request_id)))


def parse(endpoint: str, raw: Body, *, path_id: str | None = None) -> Parsed:
    """Parse a body sent to `endpoint` (a path of the authoritative schema).

    `raw` may be bytes, text or an already-decoded JSON value. For fetch endpoints whose id is
    in the path, pass it as `path_id`.
    """
    contract = spec.contract()
    if endpoint not in contract.generation and endpoint not in contract.fetch:
        raise KeyError(f"unknown endpoint {endpoint!r}")
    if type(raw) is dict:  # decoded already (the mock's case)
        body: Mapping[str, Any] = raw
    else:
        decoded, problem = _decode(raw)
        if problem is not None or decoded is None:
            return Parsed(None, (problem,) if problem else ())
        body = decoded
    if endpoint in contract.generation:
        return _generation(endpoint, body)
    return _fetch(endpoint, body, path_id)


def iter_violations(endpoint: str, raw: Body, *,
                    path_id: str | None = None) -> tuple[Violation, ...]:
    return parse(endpoint, raw, path_id=path_id).violations


def validate(endpoint: str, raw: Body, *,
             path_id: str | None = None) -> GenerationRequest | FetchRequest:
    """Like `parse`, for callers that want the request or an exception."""
    parsed = parse(endpoint, raw, path_id=path_id)
    if parsed.request is None:
        raise ContractViolation(parsed.violations)
    return parsed.request
