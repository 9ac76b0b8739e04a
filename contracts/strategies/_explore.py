"""Hypothesis strategies over `Case`s: boundaries, valid and single-fault invalid requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

import spec
from contracts.parse import parse
from contracts.rules import GENERATION, STEPS_CAP, Rule
from contracts.strategies._boundaries import Case, boundary_cases
from contracts.strategies._requests import MODEL_ID, loras, valid_requests, with_fields
from contracts.vocabulary import INSIDE, OUTSIDE, QUEUE


def boundaries(rule: Rule | str | None = None, side: str | None = None,
               endpoint: str | None = None) -> st.SearchStrategy[Case]:
    """One of the registered boundary cases (shrinks towards the first registered)."""
    cases = boundary_cases(endpoint, rule=rule, side=side)
    if not cases:
        raise ValueError(f"no boundary case for rule={rule} side={side} endpoint={endpoint}")
    return st.sampled_from(cases)


def _outside_value(f: spec.Field) -> st.SearchStrategy[Any]:
    """A value of `f` past one of its limits, as a JSON number or a decimal string."""
    parts: list[st.SearchStrategy[Any]] = []
    integral = f.kind in ("integer", "upscale", "seed")
    if f.minimum is not None:
        low = int(f.minimum) - 1 if integral else f.minimum - 0.01
        parts.append(st.integers(-1000, 0).map(lambda d: low + d) if integral
                     else st.floats(low - 10, low).map(lambda x: round(x, 2)))
    if f.maximum is not None:
        high = int(f.maximum) + 1 if integral else f.maximum + 0.01
        parts.append(st.integers(0, 10**6).map(lambda d: high + d) if integral
                     else st.floats(high, high + 10).map(lambda x: round(x, 2)))
    if f.multiple_of and f.minimum is not None and f.maximum is not None:
        m = f.multiple_of
        parts.append(st.integers(int(f.minimum), int(f.maximum)).filter(lambda v: v % m != 0))
    return st.one_of(parts).flatmap(lambda v: st.sampled_from((v, str(v))))


@st.composite
def _mutation(draw: st.DrawFn, endpoint: str, body: dict[str, Any]) -> Case | None:
    contract = spec.contract()
    ranged = [f for f in contract.generation[endpoint]
              if f.rules and f.kind not in ("string", "strength_list")]
    has = contract.has_field
    choices = ("range", "type", "required",
               *(("enum",) if any(f.kind == "enum" for f in ranged) else ()),
               *(("lora",) if has(endpoint, "lora_strength") else ()),
               *(("cap",) if has(endpoint, "num_inference_steps") else ()))
    choice = draw(st.sampled_from(choices))
    if choice == "range":
        f = draw(st.sampled_from([f for f in ranged if f.kind != "enum"]))
        label = f.name
        body = {**body, f.name: draw(_outside_value(f))}
    elif choice == "enum":
        f = draw(st.sampled_from([f for f in ranged if f.kind == "enum"]))
        text = draw(st.text("abcdefghijklmnopqrstuvwxyz-_+", min_size=1, max_size=12))
        label = f.name
        body = {**body, f.name: text}
    elif choice == "required":
        name = draw(st.sampled_from([f.name for f in contract.generation[endpoint]
                                     if f.required]))
        label = name
        body = with_fields(body, **{name: None})
    elif choice == "type":
        f = draw(st.sampled_from([f for f in ranged if f.kind != "enum"]))
        label = f.name
        body = {**body, f.name: draw(st.sampled_from(("lots", [], {"n": 1}, "1,2")))}
    elif choice == "lora":
        label = "lora_strength"
        body = {k: v for k, v in body.items() if not k.startswith("lora")}
        body.update(draw(loras(endpoint, matching=False)))
    else:
        f = contract.field(endpoint, "num_inference_steps")
        label = f.name
        body = {**body, f.name: draw(st.integers(int(f.cap or 0) + 1, 10**6))}
        return Case(STEPS_CAP, OUTSIDE, endpoint, body, f"{label} above the cap")
    broken = {v.rule for v in parse(endpoint, body).violations}
    if len(broken) != 1:
        return None
    (rule,) = broken
    return Case(rule, OUTSIDE, endpoint, body, f"{label} broken")


@st.composite
def invalid_requests(draw: st.DrawFn, endpoint: str | None = None, *,
                     model_ids: Sequence[str] = (MODEL_ID,)) -> Case:
    """A valid body with one thing broken; the case names the one rule `parse` reports."""
    endpoint = endpoint or draw(st.sampled_from(GENERATION))
    body = draw(valid_requests(endpoint, model_ids=model_ids))
    case = draw(_mutation(endpoint, body).filter(lambda c: c is not None))
    assert case is not None
    return case


@st.composite
def valid_cases(draw: st.DrawFn, endpoint: str | None = None, *,
                model_ids: Sequence[str] = (MODEL_ID,), queue: bool = True) -> Case:
    """A valid body as an exploration `Case`; some ask to be queued (when `queue`)."""
    endpoint = endpoint or draw(st.sampled_from(GENERATION))
    body = draw(valid_requests(endpoint, model_ids=model_ids))
    prefer = QUEUE if queue and draw(st.integers(0, 4)) == 0 else ()
    return Case(None, INSIDE, endpoint, body, "random valid body", prefer=prefer)


def cases(endpoint: str | None = None, *, model_ids: Sequence[str] = (MODEL_ID,)
          ) -> st.SearchStrategy[Case]:
    """Exploration: mostly valid bodies, some with one thing broken, some boundaries."""
    return st.one_of(valid_cases(endpoint, model_ids=model_ids),
                     invalid_requests(endpoint, model_ids=model_ids),
                     boundaries(endpoint=endpoint))
