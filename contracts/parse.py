"""Parse a raw body into a canonical request, or into every violation it contains.

Limits come from `spec.contract()`, compiled per field in `contracts._limits` and per endpoint
in `contracts._parse_plan`; this module decodes the body, runs each field's step (or looks up
what it made of the same value before), caps, and builds the request. Parsing never raises on
input: any JSON value, any bytes, give a `Parsed`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import spec
from contracts._limits import MEMO_ENTRIES
from contracts._parse_plan import plan_of
from contracts.model import (
    ContractViolation,
    FetchRequest,
    GenerationRequest,
    Lora,
    Parsed,
    Violation,
)
from contracts.rules import BODY_JSON, FIELD_REQUIRED, FIELD_TYPE, LORA_COUNT

Body = bytes | str | Mapping[str, Any] | Any


def _decode(raw: Body) -> tuple[Mapping[str, Any] | None, Violation | None]:
    value = raw
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            value = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return None, Violation(BODY_JSON, None, "the body is not UTF-8 text")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None, Violation(BODY_JSON, None, "the body is not valid JSON")
    if not isinstance(value, Mapping):
        kind = type(value).__name__ if value is not None else "null"
        return None, Violation(BODY_JSON, None, f"the body must be a JSON object, not {kind}")
    return value, None


def _generation(endpoint: str, body: Mapping[Any, Any]) -> Parsed:
    # (`Any` names: JSON's are strings, but a dict made in Python may have others, which are
    # unknown fields; compiled, `str` names would be checked, and refused with TypeError.)
    plan = plan_of(endpoint)
    values = plan.defaults.copy()
    out: list[Violation] = []
    if None in map(body.get, plan.required):  # (one pass in C when none is missing)
        for needed in plan.required:
            if body.get(needed) is None:
                out.append(Violation(FIELD_REQUIRED, needed, "is required"))
    strings, steps, names, missing = plan.strings.get, plan.steps.get, plan.names, _MISSING
    bools, numbers = plan.bools.get, plan.numbers.get
    extras = False  # the body has a field the contract does not know
    for name, raw in body.items():
        kind = type(raw)
        if kind is str:
            known = strings(name)
            if known is True:
                values[name] = raw
                continue
            if known:  # (a memo's `get`)
                value = known(raw, missing)
                if value is not missing:
                    values[name] = value
                    continue
            elif known is None:
                extras = True
                continue
        elif raw is None:
            if name not in names:
                extras = True
            continue
        elif kind is bool:
            taken = bools(name)
            if taken is not None:
                values[name] = taken[raw]
                continue
        elif (kind is int or kind is float) and raw and (seen := numbers(name)) is not None:
            value = seen.get(raw, missing)
            if value is missing:
                before = len(out)
                value = plan.steps[name](raw, out)
                if len(out) == before:
                    if len(seen) >= MEMO_ENTRIES:
                        seen.clear()
                    seen[raw] = value
            values[name] = value
            continue
        step = steps(name)
        if step is not None:
            values[name] = step(raw, out)
        else:
            extras = True
    if out:
        return Parsed(None, tuple(out))
    # Capped fields: the request records the value asked for, the effective one is capped.
    steps_requested = values["num_inference_steps"]  # (the only capped field the request keeps)
    model_id = values["model_id"]
    flux = model_id in plan.flux_models
    for name, cap in plan.caps:
        value = values[name]
        if name == "num_inference_steps" and flux:
            cap = max(cap, spec.contract().flux_steps_cap or cap)  # ledger `flux-steps`
        if value > cap and body.get(name) is not None:
            values[name] = type(value)(cap)
    ids, strengths = values["lora_model"] or (), values["lora_strength"] or ()
    loras = _LORAS.get((ids, strengths)) if ids or strengths else ()
    if loras is None:
        loras = _loras(ids, strengths, out)
        if out:
            return Parsed(None, tuple(out))
        if len(_LORAS) >= LORA_SETS:
            _LORAS.clear()
        _LORAS[ids, strengths] = loras
    # (A flag's value is a bool already: its step's, its memo's or its default.)
    flags, options = plan.flag_values(values), plan.option_values(values)
    # (`_new` twice, inline: a call less each.) The fields in two displays of at most 16
    # (one presized dict each): a longer display is built one key at a time, growing as it goes.
    fields = {
        "endpoint": endpoint,
        "key": values["key"],
        "model_id": model_id,
        "prompt": values["prompt"],
        "negative_prompt": values["negative_prompt"],
        "width": values["width"],
        "height": values["height"],
        "samples": values["samples"],
        "steps": values["num_inference_steps"],
        "steps_requested": steps_requested,
        "guidance_scale": float(values["guidance_scale"]),
        "seed": values["seed"],
        "loras": loras,
        "scheduler": values["scheduler"],
        "upscale": values["upscale"],
        "clip_skip": values["clip_skip"],
    }
    fields.update({
        "flags": plan.shared_flags.get(flags) or
        _shared(plan.shared_flags, plan.flags, flags, bools=True),
        "options": plan.shared_options.get(options) or
        _shared(plan.shared_options, plan.options, options, keep=plan.scalar_options),
        "webhook": values["webhook"] or None,
        "track_id": values["track_id"],
        "extras": MappingProxyType({k: v for k, v in body.items() if k not in plan.names})
        if extras else _NO_EXTRAS,
        "ignored": tuple(n for n in plan.flux_unsupported if body.get(n) not in (None, ""))
        if flux else (),
    })
    request, parsed = _alloc(GenerationRequest), _alloc(Parsed)
    _setattr(request, "__dict__", fields)
    _setattr(parsed, "__dict__", {"request": request, "violations": ()})
    return parsed


#: The LoRAs of the last (ids, strengths) pairs parsed (immutable, so shared): clients name the
#: same few LoRAs again and again. Emptied when it holds `LORA_SETS`.
_LORAS: dict[tuple[tuple[str, ...], tuple[float, ...]], tuple[Lora, ...]] = {}
LORA_SETS = 256


def _loras(ids: tuple[str, ...], strengths: tuple[float, ...],
           out: list[Violation]) -> tuple[Lora, ...]:
    if strengths and len(strengths) != len(ids):
        out.append(Violation(LORA_COUNT, "lora_strength",
                             f"{len(strengths)} strength(s) for {len(ids)} LoRA id(s): give "
                             "one strength per lora_model id, or none"))
        return ()
    if not strengths:
        return tuple([_new(Lora, {"id": i, "strength": 1.0, "strength_given": False})
                      for i in ids])
    return tuple([_new(Lora, {"id": i, "strength": s, "strength_given": True})
                  for i, s in zip(ids, strengths, strict=True)])


_MISSING = object()


#: The `extras` of a body with documented fields only (read-only, so one serves them all).
_NO_EXTRAS: Mapping[str, Any] = MappingProxyType({})


#: Value tuples `_Plan.shared` holds per endpoint (then it forgets them all and starts again).
SHARED_MAPPINGS = 256


def _shared(shared: dict[tuple[Any, ...], Mapping[str, Any]], names: tuple[str, ...],
            values: tuple[Any, ...], *, bools: bool = False, keep: bool = True,
            ) -> Mapping[str, Any]:
    """The read-only mapping of `names` to `values`: one object for the requests that send the
    same flags (or options), as clients do, built once. Values holding a zero are never shared
    unless they are all `bools` (0.0 == -0.0, and the request must keep the one sent); none
    are unless they may be compared (`keep`)."""
    found = shared.get(values)
    if found is None:
        found = MappingProxyType(dict(zip(names, values, strict=True)))
        if bools or (keep and 0 not in values):
            if len(shared) >= SHARED_MAPPINGS:
                shared.clear()
            shared[values] = found
    return found


_T = TypeVar("_T")


_alloc, _setattr = object.__new__, object.__setattr__


def _new(cls: type[_T], fields: dict[str, Any]) -> _T:
    """An instance of a frozen dataclass from every one of its fields, in order: what its
    `__init__` makes, without one `object.__setattr__` per field (a fifth of the parser's
    time on the mock's hot path). Only for classes without `__post_init__` or `InitVar`s."""
    instance = _alloc(cls)
    _setattr(instance, "__dict__", fields)
    return instance


def _fetch(endpoint: str, body: Mapping[str, Any], path_id: str | int | None) -> Parsed:
    out: list[Violation] = []
    key = body.get("key")
    if key is None:
        out.append(Violation(FIELD_REQUIRED, "key", "is required"))
    elif not isinstance(key, str):
        out.append(Violation(FIELD_TYPE, "key", "expected a string"))
    request_id: Any = path_id if path_id is not None else body.get("request_id")
    if request_id is None or request_id == "":
        out.append(Violation(FIELD_REQUIRED, "request_id", "is required"))
    elif isinstance(request_id, bool) or not isinstance(request_id, int | str):
        out.append(Violation(FIELD_TYPE, "request_id", "expected an integer or a string"))
    if out:
        return Parsed(None, tuple(out))
    return Parsed(FetchRequest(endpoint, str(key), str(request_id)))


def parse(endpoint: str, raw: Body, *, path_id: str | int | None = None) -> Parsed:
    """Parse a body sent to `endpoint` (a path of the authoritative schema).

    `raw` may be bytes, text or an already-decoded JSON value. For fetch endpoints whose id is
    in the path, pass it as `path_id` (the text of the path, or the integer id a generation
    answered with).
    """
    contract = spec.contract()
    if type(raw) is dict and endpoint in contract.generation:  # (the mock's case)
        return _generation(endpoint, raw)
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
                    path_id: str | int | None = None) -> tuple[Violation, ...]:
    return parse(endpoint, raw, path_id=path_id).violations


def validate(endpoint: str, raw: Body, *,
             path_id: str | int | None = None) -> GenerationRequest | FetchRequest:
    """Like `parse`, for callers that want the request or an exception."""
    parsed = parse(endpoint, raw, path_id=path_id)
    if parsed.request is None:
        raise ContractViolation(parsed.violations)
    return parsed.request
