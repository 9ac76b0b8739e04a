"""Boundary producers of the request rules: values at and just past each limit, each case's
side decided by `contracts.parse`.

Each registers on its rule (`@RULE.boundary()`, or `@boundary(...)` for one producer serving
several rules) and is called with that rule and a generation endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import spec
from contracts.rules import (
    ALGORITHM_TYPE_ENUM,
    ASPECT_RATIO_ENUM,
    BODY_JSON,
    CLIP_SKIP_RANGE,
    ENHANCE_STYLE_ENUM,
    FIELD_REQUIRED,
    FIELD_TYPE,
    GUIDANCE_SCALE_RANGE,
    IP_ADAPTER_ID_ENUM,
    IP_ADAPTER_SCALE_RANGE,
    LORA_COUNT,
    LORA_STRENGTH_RANGE,
    SAFETY_CHECKER_TYPE_ENUM,
    SAMPLES_RANGE,
    SCHEDULER_ENUM,
    SEED_RANGE,
    SIZE_RANGE,
    STEPS_CAP,
    STEPS_MIN,
    UPSCALE_RANGE,
    Rule,
)
from contracts.strategies._boundaries import Case, boundary, fetch_paths, judged
from contracts.strategies._forms import plain
from contracts.strategies._requests import LORA_IDS, base, with_fields
from contracts.vocabulary import INSIDE, KEY, OUTSIDE


def _fields_for(endpoint: str, r: Rule) -> list[spec.Field]:
    return [f for f in spec.contract().generation[endpoint] if r.id in f.rules]


def _caps(name: str) -> set[float]:
    contract = spec.contract()
    return {f.cap for ep in contract.generation for f in contract.generation[ep]
            if f.name == name and f.cap is not None}


def _candidates(f: spec.Field, *, caps: bool = False) -> list[Any]:
    """Values at and just past each limit of a numeric field (with `caps`: of each endpoint's
    cap too, so v6 also sees v4's)."""
    delta: float = 1 if f.kind in ("integer", "upscale", "seed") else 0.01
    out: list[Any] = []
    marks = [m for m in (f.minimum, f.maximum) if m is not None]
    if caps:
        marks += sorted(_caps(f.name))
    for mark in marks:
        out += [mark - delta, mark, mark + delta]
    if f.multiple_of and f.maximum is not None:
        out += [f.maximum + f.multiple_of, (f.minimum or 0) + f.multiple_of + 1]
    if f.maximum is None and caps:
        out.append(10**9)  # "huge"
    seen: list[Any] = []
    for v in out:
        v = round(v, 2) if delta < 1 else int(v)
        if v not in seen:
            seen.append(v)
    return seen


def _numeric(endpoint: str, r: Rule, extra: Mapping[str, Any] | None = None) -> Iterator[Case]:
    for f in _fields_for(endpoint, r):
        for v in _candidates(f):
            body = {**base(endpoint), **(extra or {}), f.name: v}
            case = judged(r, endpoint, body, f"{f.name}={plain(v)}")
            if case is not None:
                yield case
        if f.name == "height":
            break  # width carried the multiple-of cases; height gets its bounds only


@boundary(STEPS_MIN, SAMPLES_RANGE, SIZE_RANGE, GUIDANCE_SCALE_RANGE, CLIP_SKIP_RANGE,
          IP_ADAPTER_SCALE_RANGE, SEED_RANGE, UPSCALE_RANGE)
def _ranges(r: Rule, endpoint: str) -> Iterator[Case]:
    yield from _numeric(endpoint, r)
    if r is SEED_RANGE:
        yield Case(r, INSIDE, endpoint, {**base(endpoint), "seed": None}, "seed=null")
    if r is UPSCALE_RANGE:
        upscale = spec.contract().field(endpoint, "upscale")
        for v in ("yes", "no", str(int(upscale.maximum or 1))):
            case = judged(r, endpoint, {**base(endpoint), "upscale": v}, f"upscale={v!r}")
            if case:
                yield case


@STEPS_CAP.boundary()
def _steps_cap(r: Rule, endpoint: str) -> Iterator[Case]:
    f = spec.contract().field(endpoint, "num_inference_steps")
    cap = f.cap or 0
    for v in _candidates(f, caps=True):
        if f.minimum is not None and v < f.minimum:
            continue
        side = OUTSIDE if v > cap else INSIDE
        yield Case(r, side, endpoint, {**base(endpoint), f.name: v},
                   f"{f.name}={v} (cap {plain(cap)})")
    yield Case(r, OUTSIDE, endpoint, {**base(endpoint), f.name: str(int(cap) + 1)},
               f"{f.name}=\"{int(cap) + 1}\" as a string")


@LORA_STRENGTH_RANGE.boundary()
def _lora_strength(r: Rule, endpoint: str) -> Iterator[Case]:
    one = {"lora_model": LORA_IDS[0]}
    yield from _numeric(endpoint, r, one)
    two = {"lora_model": ",".join(LORA_IDS[:2]), "lora_strength": "0.45,0.55"}
    case = judged(r, endpoint, {**base(endpoint), **two}, "two LoRAs")
    if case:
        yield case
    bad = {"lora_model": ",".join(LORA_IDS[:2]), "lora_strength": "0.5,1.5"}
    case = judged(r, endpoint, {**base(endpoint), **bad},
                   "second strength too high")
    if case:
        yield case


@LORA_COUNT.boundary()
def _lora_count(r: Rule, endpoint: str) -> Iterator[Case]:
    for n_ids in range(4):
        for n_strengths in sorted({0, max(n_ids - 1, 0), n_ids, n_ids + 1}):
            body = dict(base(endpoint))
            if n_ids:
                body["lora_model"] = ",".join(LORA_IDS[:n_ids])
            if n_strengths:
                body["lora_strength"] = ",".join(["0.5"] * n_strengths)
            case = judged(r, endpoint, body, f"{n_ids} ids, {n_strengths} strengths")
            if case and (n_ids or n_strengths):
                yield case


@boundary(SAFETY_CHECKER_TYPE_ENUM, ENHANCE_STYLE_ENUM, ALGORITHM_TYPE_ENUM, SCHEDULER_ENUM,
          IP_ADAPTER_ID_ENUM, ASPECT_RATIO_ENUM)  # the spec's field order
def _enums(r: Rule, endpoint: str) -> Iterator[Case]:
    for f in _fields_for(endpoint, r):
        if f.kind != "enum":
            continue
        values = [*(f.enum or ())[:1], *(f.enum or ())[-1:], *f.aliases, f"not-a-{f.name}"]
        for v in dict.fromkeys(values):
            case = judged(r, endpoint, {**base(endpoint), f.name: v}, f"{f.name}={v!r}")
            if case:
                yield case


@FIELD_REQUIRED.boundary()
def _required(r: Rule, endpoint: str) -> Iterator[Case]:
    body = base(endpoint)
    yield Case(r, INSIDE, endpoint, body, "the required fields only")
    for name in body:
        if spec.contract().field(endpoint, name).required:  # (v7's model_id is optional)
            yield Case(r, OUTSIDE, endpoint, with_fields(body, **{name: None}),
                       f"{name} missing")
    yield Case(r, OUTSIDE, endpoint, {**body, "prompt": None}, "prompt null")
    fetch = fetch_paths(endpoint, "body")[:1]
    for path in fetch:
        yield Case(r, OUTSIDE, path, {"key": KEY}, "fetch without request_id")


_JUNK = {"integer": "many", "number": "high", "flag": "maybe", "upscale": "big", "seed": "random",
         "string": 42, "enum": 7, "id_list": 7, "strength_list": "0.5,x", "url": 3}


def _nice(f: spec.Field) -> Any:
    """A valid value of `f` in a wire form other than its canonical one."""
    if f.kind == "integer":
        return str(int(f.default or f.minimum or 1))
    if f.kind == "number":
        return str(f.default if f.default is not None else f.minimum)
    return {"flag": True, "upscale": "yes", "seed": "42"}.get(f.kind)


@FIELD_TYPE.boundary()
def _types(r: Rule, endpoint: str) -> Iterator[Case]:
    seen: set[str] = set()
    for f in spec.contract().generation[endpoint]:
        if f.kind in seen or f.kind not in _JUNK or f.name in ("key",):
            continue
        seen.add(f.kind)
        extra = {"lora_model": LORA_IDS[0]} if f.kind == "strength_list" else {}
        bad = {**base(endpoint), **extra, f.name: _JUNK[f.kind]}
        case = judged(r, endpoint, bad, f"{f.name}={_JUNK[f.kind]!r}")
        if case:
            yield case
        if _nice(f) is not None:
            nice = {**base(endpoint), f.name: _nice(f)}
            case = judged(r, endpoint, nice, f"{f.name}={nice[f.name]!r}")
            if case:
                yield case


@BODY_JSON.boundary()
def _json(r: Rule, endpoint: str) -> Iterator[Case]:
    yield Case(r, INSIDE, endpoint, base(endpoint), "a JSON object")
    for raw in ("not json", "[]", "null", '"a string"', json.dumps(base(endpoint))[:-2]):
        yield Case(r, OUTSIDE, endpoint, raw, f"raw body {raw[:20]!r}")
    for path in fetch_paths(endpoint, "body")[:1]:
        yield Case(r, OUTSIDE, path, "[]", "fetch with a JSON array")
