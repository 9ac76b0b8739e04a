"""Boundary cases: for every rule, payloads just inside and just outside what it allows.

Producers register per rule with `@boundary(...)`; each yields concrete `Case`s for one
generation endpoint. Which side of a request rule a payload lies on is decided by
`contracts.parse` itself, so the limits are stated only in `spec/modelslab.yaml`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import spec
from contracts.parse import parse
from contracts.rules import GENERATION, RULES
from contracts.strategies._forms import plain
from contracts.strategies._requests import LORA_IDS, base, with_fields
from contracts.vocabulary import INSIDE, INVALID_KEY, KEY, OUTSIDE, QUEUE, UNKNOWN_ID


@dataclass(frozen=True)
class Case:
    """One payload to send, and what it exercises."""

    #: The rule this case was made for (None for exploration payloads).
    rule: str | None
    #: "inside" (the backend must accept / the property must hold) or "outside".
    side: str
    endpoint: str
    #: A JSON-able body, or raw text for body.json cases.
    body: Any
    label: str
    #: Values for `Prefer` headers (scenario hints that real backends ignore).
    prefer: tuple[str, ...] = ()
    #: The id for fetch endpoints whose path holds it.
    path_id: str | None = None
    #: Download the output images (images.size).
    images: bool = False
    #: For queued jobs: the fetch endpoint to follow them with (None: the `fetch_result` path).
    fetch_via: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def describe(self) -> str:
        return f"{self.rule or 'explore'} {self.side}: {self.label}"


Producer = Callable[[str], Iterable[Case]]
_PRODUCERS: dict[str, list[Producer]] = {}


def boundary(*rules: str) -> Callable[[Producer], Producer]:
    """Register a producer of boundary cases for `rules` (ids of `contracts.RULES`)."""
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise KeyError(f"unknown rule(s) {', '.join(unknown)}")

    def register(producer: Producer) -> Producer:
        for rule_id in rules:
            _PRODUCERS.setdefault(rule_id, []).append(producer)
        return producer
    return register


def producers() -> Mapping[str, tuple[Producer, ...]]:
    """Rule id -> the producers registered for it."""
    return MappingProxyType({k: tuple(v) for k, v in _PRODUCERS.items()})


def _judged(rule_id: str, endpoint: str, body: Any, label: str, **kw: Any) -> Case | None:
    """A case for a request rule, its side decided by `parse` (None if it breaks other rules)."""
    parsed = parse(endpoint, body, path_id=kw.get("path_id"))
    if parsed.ok:
        return Case(rule_id, INSIDE, endpoint, body, label, **kw)
    if set(parsed.rule_ids) == {rule_id}:
        return Case(rule_id, OUTSIDE, endpoint, body, label, **kw)
    return None


def _fields_for(endpoint: str, rule_id: str) -> list[spec.Field]:
    return [f for f in spec.contract().generation[endpoint] if rule_id in f.rules]


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


def _numeric(endpoint: str, rule_id: str, extra: Mapping[str, Any] | None = None) -> Iterator[Case]:
    for f in _fields_for(endpoint, rule_id):
        for v in _candidates(f):
            body = {**base(endpoint), **(extra or {}), f.name: v}
            case = _judged(rule_id, endpoint, body, f"{f.name}={plain(v)}")
            if case is not None:
                yield case
        if f.name == "height":
            break  # width carried the multiple-of cases; height gets its bounds only


@boundary("steps.min", "samples.range", "size.range", "guidance_scale.range",
          "clip_skip.range", "ip_adapter_scale.range", "seed.range", "upscale.range")
def _ranges(endpoint: str) -> Iterator[Case]:
    for rule_id in ("steps.min", "samples.range", "size.range", "guidance_scale.range",
                    "clip_skip.range", "ip_adapter_scale.range", "seed.range", "upscale.range"):
        yield from _numeric(endpoint, rule_id)
    yield Case("seed.range", INSIDE, endpoint, {**base(endpoint), "seed": None}, "seed=null")
    upscale = spec.contract().field(endpoint, "upscale")
    for v in ("yes", "no", str(int(upscale.maximum or 1))):
        case = _judged("upscale.range", endpoint, {**base(endpoint), "upscale": v},
                       f"upscale={v!r}")
        if case:
            yield case


@boundary("steps.cap")
def _steps_cap(endpoint: str) -> Iterator[Case]:
    f = spec.contract().field(endpoint, "num_inference_steps")
    cap = f.cap or 0
    for v in _candidates(f, caps=True):
        if f.minimum is not None and v < f.minimum:
            continue
        side = OUTSIDE if v > cap else INSIDE
        yield Case("steps.cap", side, endpoint, {**base(endpoint), f.name: v},
                   f"{f.name}={v} (cap {plain(cap)})")
    yield Case("steps.cap", OUTSIDE, endpoint, {**base(endpoint), f.name: str(int(cap) + 1)},
               f"{f.name}=\"{int(cap) + 1}\" as a string")


@boundary("lora_strength.range")
def _lora_strength(endpoint: str) -> Iterator[Case]:
    one = {"lora_model": LORA_IDS[0]}
    yield from _numeric(endpoint, "lora_strength.range", one)
    two = {"lora_model": ",".join(LORA_IDS[:2]), "lora_strength": "0.45,0.55"}
    case = _judged("lora_strength.range", endpoint, {**base(endpoint), **two}, "two LoRAs")
    if case:
        yield case
    bad = {"lora_model": ",".join(LORA_IDS[:2]), "lora_strength": "0.5,1.5"}
    case = _judged("lora_strength.range", endpoint, {**base(endpoint), **bad},
                   "second strength too high")
    if case:
        yield case


@boundary("lora.count")
def _lora_count(endpoint: str) -> Iterator[Case]:
    for n_ids in range(4):
        for n_strengths in sorted({0, max(n_ids - 1, 0), n_ids, n_ids + 1}):
            body = dict(base(endpoint))
            if n_ids:
                body["lora_model"] = ",".join(LORA_IDS[:n_ids])
            if n_strengths:
                body["lora_strength"] = ",".join(["0.5"] * n_strengths)
            case = _judged("lora.count", endpoint, body, f"{n_ids} ids, {n_strengths} strengths")
            if case and (n_ids or n_strengths):
                yield case


@boundary("scheduler.enum", "safety_checker_type.enum", "enhance_style.enum",
          "ip_adapter_id.enum", "algorithm_type.enum")
def _enums(endpoint: str) -> Iterator[Case]:
    for f in spec.contract().generation[endpoint]:
        if f.kind != "enum":
            continue
        rule_id = f.rules[0]
        values = [*(f.enum or ())[:1], *(f.enum or ())[-1:], *f.aliases, f"not-a-{f.name}"]
        for v in dict.fromkeys(values):
            case = _judged(rule_id, endpoint, {**base(endpoint), f.name: v}, f"{f.name}={v!r}")
            if case:
                yield case


@boundary("field.required")
def _required(endpoint: str) -> Iterator[Case]:
    body = base(endpoint)
    yield Case("field.required", INSIDE, endpoint, body, "the required fields only")
    for name in body:
        yield Case("field.required", OUTSIDE, endpoint, with_fields(body, **{name: None}),
                   f"{name} missing")
    yield Case("field.required", OUTSIDE, endpoint, {**body, "prompt": None}, "prompt null")
    fetch = _fetch_paths(endpoint, "body")[:1]
    for path in fetch:
        yield Case("field.required", OUTSIDE, path, {"key": KEY}, "fetch without request_id")


_JUNK = {"integer": "many", "number": "high", "flag": "maybe", "upscale": "big", "seed": "random",
         "string": 42, "enum": 7, "id_list": 7, "strength_list": "0.5,x", "url": 3}


def _nice(f: spec.Field) -> Any:
    """A valid value of `f` in a wire form other than its canonical one."""
    if f.kind == "integer":
        return str(int(f.default or f.minimum or 1))
    if f.kind == "number":
        return str(f.default if f.default is not None else f.minimum)
    return {"flag": True, "upscale": "yes", "seed": "42"}.get(f.kind)


@boundary("field.type")
def _types(endpoint: str) -> Iterator[Case]:
    seen: set[str] = set()
    for f in spec.contract().generation[endpoint]:
        if f.kind in seen or f.kind not in _JUNK or f.name in ("key",):
            continue
        seen.add(f.kind)
        extra = {"lora_model": LORA_IDS[0]} if f.kind == "strength_list" else {}
        bad = {**base(endpoint), **extra, f.name: _JUNK[f.kind]}
        case = _judged("field.type", endpoint, bad, f"{f.name}={_JUNK[f.kind]!r}")
        if case:
            yield case
        if _nice(f) is not None:
            nice = {**base(endpoint), f.name: _nice(f)}
            case = _judged("field.type", endpoint, nice, f"{f.name}={nice[f.name]!r}")
            if case:
                yield case


@boundary("body.json")
def _json(endpoint: str) -> Iterator[Case]:
    yield Case("body.json", INSIDE, endpoint, base(endpoint), "a JSON object")
    for raw in ("not json", "[]", "null", '"a string"', json.dumps(base(endpoint))[:-2]):
        yield Case("body.json", OUTSIDE, endpoint, raw, f"raw body {raw[:20]!r}")
    for path in _fetch_paths(endpoint, "body")[:1]:
        yield Case("body.json", OUTSIDE, path, "[]", "fetch with a JSON array")


@boundary("auth.key")
def _auth(endpoint: str) -> Iterator[Case]:
    yield Case("auth.key", INSIDE, endpoint, base(endpoint), "the gate's key")
    yield Case("auth.key", OUTSIDE, endpoint, base(endpoint, key=INVALID_KEY), "an invalid key")


@boundary("response.schema", "error.shape")
def _shapes(endpoint: str) -> Iterator[Case]:
    yield Case("response.schema", INSIDE, endpoint, base(endpoint), "a success body")
    yield Case("response.schema", OUTSIDE, endpoint, {**base(endpoint), "samples": 0},
               "an error body")
    yield Case("error.shape", INSIDE, endpoint, base(endpoint), "a success is no error")
    yield Case("error.shape", OUTSIDE, endpoint, with_fields(base(endpoint), prompt=None),
               "a validation error")


@boundary("output.count", "meta.echo")
def _echo(endpoint: str) -> Iterator[Case]:
    samples = spec.contract().field(endpoint, "samples")
    for n in range(int(samples.minimum or 1), int(samples.maximum or 1) + 1):
        yield Case("output.count", INSIDE, endpoint, {**base(endpoint), "samples": n},
                   f"samples={n}")
    rich = {**base(endpoint), "width": 768, "height": "512", "samples": "2",
            "lora_model": ",".join(LORA_IDS[:2]), "lora_strength": "0.45,0.55",
            "safety_checker": False, "enhance_prompt": "no", "panorama": "yes", "tomesd": True}
    yield Case("meta.echo", INSIDE, endpoint, rich, "sizes, samples, LoRAs and flags")
    yield Case("meta.echo", INSIDE, endpoint, {**base(endpoint), "lora_model": LORA_IDS[0]},
               "one LoRA without strength (echoed as 1)")


@boundary("seed.echo")
def _seed(endpoint: str) -> Iterator[Case]:
    yield Case("seed.echo", INSIDE, endpoint, {**base(endpoint), "seed": 12345}, "seed=12345")
    yield Case("seed.echo", INSIDE, endpoint, {**base(endpoint), "seed": "4242"}, 'seed="4242"')
    yield Case("seed.echo", OUTSIDE, endpoint, {**base(endpoint), "seed": None},
               "seed=null (the backend picks one)")


def _fetch_paths(endpoint: str, id_in: str | None = None) -> list[str]:
    return [p for p, (gen, where) in spec.contract().fetch.items()
            if gen == endpoint and (id_in is None or where == id_in)]


@boundary("processing.fetch")
def _processing(endpoint: str) -> Iterator[Case]:
    for path in _fetch_paths(endpoint):
        yield Case("processing.fetch", INSIDE, endpoint, {**base(endpoint), "samples": 2},
                   f"queued job fetched via {path}", prefer=QUEUE, fetch_via=path)


@boundary("fetch.unknown")
def _unknown(endpoint: str) -> Iterator[Case]:
    for path in _fetch_paths(endpoint):
        if "{id}" in path:
            yield Case("fetch.unknown", INSIDE, path, {"key": KEY}, f"unknown id via {path}",
                       path_id=UNKNOWN_ID)
        else:
            yield Case("fetch.unknown", INSIDE, path, {"key": KEY, "request_id": UNKNOWN_ID},
                       f"unknown id via {path}")


@boundary("flux.warning")
def _flux(endpoint: str) -> Iterator[Case]:
    contract = spec.contract()
    for i, model in enumerate(contract.flux_models):
        ignored = contract.flux_unsupported[i::len(contract.flux_models)][:2]
        body = {**base(endpoint, model_id=model)}
        for name in ignored:
            f = contract.field(endpoint, name)
            body[name] = (f.enum or ("yes",))[0] if f.kind in ("enum", "flag", "upscale") \
                else LORA_IDS[0] if f.kind == "id_list" else "blurry"
        yield Case("flux.warning", INSIDE, endpoint, body,
                   f"{model} with {', '.join(ignored)}")


@boundary("images.size")
def _images(endpoint: str) -> Iterator[Case]:
    f = spec.contract().field(endpoint, "width")
    small = int(f.minimum or 256)
    other = small + (f.multiple_of or 8) * 8
    for width, height, up in ((small, other, "no"), (other, small, 2), (small, small, "3"),
                              (small, small, "yes")):
        body = {**base(endpoint), "width": width, "height": height, "upscale": up}
        yield Case("images.size", INSIDE, endpoint, body, f"{width}x{height} upscale={up!r}",
                   images=True)
    flux = spec.contract().flux_models[0]
    yield Case("images.size", INSIDE, endpoint,
               {**base(endpoint, model_id=flux), "width": small, "height": small,
                "upscale": 2}, f"{flux} ignores upscale", images=True)
    yield Case("images.size", INSIDE, endpoint, {**base(endpoint), "width": small,
               "height": small, "upscale": 2, "samples": 2}, "a queued job's images",
               images=True, prefer=QUEUE)


def boundary_cases(endpoint: str | None = None, *, rule: str | None = None,
                   side: str | None = None) -> list[Case]:
    """Every registered boundary case, in registry order, optionally filtered."""
    out: list[Case] = []
    for endpoint_ in (endpoint,) if endpoint else GENERATION:
        for producer in dict.fromkeys(p for ps in _PRODUCERS.values() for p in ps):
            for case in producer(endpoint_):
                if (rule is None or case.rule == rule) and (side is None or case.side == side):
                    out.append(case)
    return out
