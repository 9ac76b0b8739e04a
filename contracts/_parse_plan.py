"""What parsing one generation endpoint needs, worked out once per endpoint (`plan_of`): the
parser (`contracts.parse`) runs on the mock's hot path, so each field's step, memo, default and
role is looked up in one dict, not worked out per request."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import spec
from contracts._limits import COERCE, Step, compiled

#: The fields `GenerationRequest` holds as attributes (every other one is a flag or option).
_TYPED = {"key", "model_id", "prompt", "negative_prompt", "width", "height", "samples",
          "num_inference_steps", "guidance_scale", "seed", "lora_model", "lora_strength",
          "scheduler", "upscale", "clip_skip", "webhook", "track_id"}


@dataclass(frozen=True)
class Plan:
    """What parsing one endpoint needs, worked out once: the parser is on the mock's hot path."""

    #: name -> the field's step (coerce and limit; a capped field is capped afterwards)
    steps: dict[str, Step]
    #: name -> what a string value of the field needs, looked up before calling the step:
    #: `True` (a string field: the string is the value), the `get` of the field's memo (the
    #: strings its step accepted and what it made of them: clients send the same few "512",
    #: "7.5", "yes" again and again), or `False` (ask the step). Every documented field has one.
    strings: dict[str, Callable[[str, Any], Any] | bool]
    #: name -> {True: value, False: value} for the fields whose step takes a JSON boolean
    #: (a flag, upscale): what the step makes of each, worked out in advance.
    bools: dict[str, dict[bool, Any]]
    #: name -> the JSON numbers (an `int` or `float`, never a `bool`, never zero: -0.0 == 0)
    #: the field's step accepted and what it made of them, for the integer, number and
    #: upscale fields (`MEMO_ENTRIES` at most). An int and the float it equals give one value.
    numbers: dict[str, dict[float, Any]]
    #: Every field's default, coerced (defaults are stated in wire form: "no", 512). A plain
    #: dict, copied per request and never mutated: copying a mappingproxy costs 15x more.
    defaults: dict[str, Any]
    required: tuple[str, ...]
    flags: tuple[str, ...]
    options: tuple[str, ...]
    #: (name, cap) of every capped field.
    caps: tuple[tuple[str, float], ...]
    names: frozenset[str]
    #: The values of `flags`, then of `options`, out of the values dict in one call each.
    flag_values: Callable[[dict[str, Any]], tuple[Any, ...]]
    option_values: Callable[[dict[str, Any]], tuple[Any, ...]]
    flux_models: frozenset[str]
    flux_unsupported: tuple[str, ...]
    #: No option holds a tuple (a list kind), so comparing option values compares the values
    #: themselves (a tuple holding -0.0 equals one holding 0.0): their mapping may be shared.
    scalar_options: bool
    #: The `flags` (and `options`) mappings built lately, by their values in field order:
    #: read-only, so one serves every request with the same values (`contracts.parse._shared`).
    shared_flags: dict[tuple[Any, ...], Mapping[str, Any]] = field(default_factory=dict)
    shared_options: dict[tuple[Any, ...], Mapping[str, Any]] = field(default_factory=dict)


def _defaults(fields: tuple[spec.Field, ...]) -> dict[str, Any]:
    return {f.name: None if f.default is None else COERCE[f.kind](f.default) for f in fields}


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """`values` -> the tuple of `values[name]` for each of `names` (`itemgetter`, in C)."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda values: tuple([values[name] for name in names])


def _taken(step: Step, raws: tuple[Any, ...]) -> dict[Any, Any]:
    """raw -> what `step` makes of it, for those of `raws` it accepts."""
    taken = {}
    for raw in raws:
        out: list[Any] = []
        value = step(raw, out)
        if not out:
            taken[raw] = value
    return taken


@cache
def plan_of(endpoint: str) -> Plan:
    contract = spec.contract()
    fields = contract.generation[endpoint]
    steps = {f.name: compiled(f) for f in fields}
    # What an endpoint does not take (realtime has no steps, v3 no model_id) is what the first
    # endpoint defaults it to, or the model the endpoint names instead.
    defaults = {name: value for name, value in _defaults(
        contract.generation[spec.GENERATION_PATHS[0]]).items() if name in _TYPED}
    defaults.update(_defaults(fields))
    if endpoint in contract.fixed_models:
        defaults["model_id"] = contract.fixed_models[endpoint]
    flags = tuple(f.name for f in fields if f.kind == "flag")
    options = tuple(f.name for f in fields if f.name not in _TYPED and f.kind != "flag")
    for name in flags:  # (the request takes a flag's value as it is: a bool, default too)
        defaults[name] = bool(defaults[name])
    return Plan(
        steps={name: step for name, (step, _) in steps.items()},
        strings={f.name: True if f.kind in _STRINGS else
                 memo.get if (memo := steps[f.name][1]) is not None else False
                 for f in fields},
        bools={name: taken for name, (step, _) in steps.items()
               if len(taken := _taken(step, (True, False))) == 2},
        numbers={f.name: {} for f in fields if f.kind in ("integer", "number", "upscale")},
        defaults=defaults,
        required=tuple(f.name for f in fields if f.required),
        flags=flags,
        options=options,
        caps=tuple((f.name, f.cap) for f in fields if f.cap is not None),
        names=frozenset(f.name for f in fields),
        flag_values=_getter(flags),
        option_values=_getter(options),
        flux_models=frozenset(contract.flux_models),
        flux_unsupported=tuple(contract.flux_unsupported),
        scalar_options=not any(f.kind in _LISTS for f in fields if f.name in options),
    )


#: Field kinds whose step returns any `str` value as it is; those whose value is a tuple.
_STRINGS = ("string", "url")
_LISTS = ("id_list", "strength_list")
