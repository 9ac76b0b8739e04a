"""Valid and invalid generation bodies, built from the limits in `spec.contract()`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

import spec
from contracts.rules import GENERATION
from contracts.strategies import _forms
from contracts.vocabulary import KEY

#: A model id the vendor's own examples use on both APIs.
MODEL_ID = "midjourney"
PROMPTS = ("a red fox in the snow", "ultra realistic portrait of a lighthouse keeper",
           "a bowl of ramen, studio light")
LORA_IDS = ("more_details", "add-detail-xl", "lcm-lora-sdv1-5", "yae-miko-genshin")
#: Fields random bodies leave out: they point at other resources or trigger side effects
#: (model files, images to download, webhooks to call).
SKIPPED = frozenset({"vae", "embeddings_model", "ip_adapter_image", "webhook"})


def base(endpoint: str = GENERATION[0], *, key: str = KEY, model_id: str = MODEL_ID,
         prompt: str = PROMPTS[0]) -> dict[str, Any]:
    """The smallest valid body: the required fields (and a model_id where the endpoint takes
    one: v7's is optional, realtime and v3 text2img have none)."""
    if not spec.contract().has_field(endpoint, "model_id"):
        return {"key": key, "prompt": prompt}
    return {"key": key, "model_id": model_id, "prompt": prompt}


def field(endpoint: str, name: str) -> spec.Field:
    return spec.contract().field(endpoint, name)


def canonical(f: spec.Field) -> st.SearchStrategy[Any]:
    """A valid canonical value of one numeric, enum or flag field."""
    if f.kind == "flag":
        return st.booleans()
    if f.kind == "enum":
        return st.sampled_from((*(f.enum or ()), *f.aliases))
    if f.kind in ("integer", "upscale"):
        low = int(f.minimum) if f.minimum is not None else 0
        high = int(f.maximum) if f.maximum is not None else int((f.cap or low + 10) * 2)
        step = f.multiple_of or 1
        return st.integers(-(-low // step), high // step).map(lambda n: n * step)
    return _other(f)


def _other(f: spec.Field) -> st.SearchStrategy[Any]:
    if f.kind == "seed":
        return st.integers(int(f.minimum or 0), int(f.maximum or 2**32 - 1))
    if f.kind == "number":
        lo = float(f.minimum or 0)
        hi = float(f.maximum if f.maximum is not None else lo + 10)
        return st.integers(int(lo * 100), int(hi * 100)).map(lambda n: n / 100)
    if f.kind == "track_id":
        return st.integers(0, 10**6)
    raise ValueError(f"no canonical strategy for {f.name} ({f.kind})")


def encoded(f: spec.Field, value: Any) -> st.SearchStrategy[Any]:
    """Every wire form of a canonical value of `f`."""
    if f.kind == "flag":
        return _forms.flag(bool(value))
    if f.kind == "upscale":
        return _forms.upscale(int(value))
    if f.kind in ("integer", "seed"):
        return _forms.integer(int(value))
    if f.kind == "number":
        return _forms.number(float(value))
    return st.just(value)


def wire_value(f: spec.Field) -> st.SearchStrategy[Any]:
    """A valid value of `f` in any of its wire forms."""
    return canonical(f).flatmap(lambda v: encoded(f, v))


@st.composite
def loras(draw: st.DrawFn, endpoint: str = GENERATION[0], *, max_ids: int = 3,
          matching: bool = True) -> dict[str, Any]:
    """`lora_model` with 0..max_ids ids and (when `matching`) none or as many strengths.

    With `matching=False` the number of strengths differs from the number of ids.
    """
    f = field(endpoint, "lora_strength")
    low, high = float(f.minimum or 0), float(f.maximum or 1)
    n = draw(st.integers(0 if matching else 1, max_ids))
    chosen = draw(st.lists(st.sampled_from(LORA_IDS), min_size=n, max_size=n, unique=True))
    out: dict[str, Any] = {}
    if chosen:
        out["lora_model"] = draw(_forms.ids(chosen))
    count = len(chosen) if matching else draw(st.integers(0, max_ids + 1).filter(
        lambda k: k != len(chosen) and k > 0))
    if matching and chosen and draw(st.booleans()):
        return out  # ids without strengths: strength 1 each
    if count:
        values = draw(st.lists(st.integers(int(low * 100), int(high * 100)).map(
            lambda k: k / 100), min_size=count, max_size=count))
        out["lora_strength"] = draw(_forms.strengths(values))
    return out


def _optional(endpoint: str, nulls: bool) -> dict[str, st.SearchStrategy[Any]]:
    out: dict[str, st.SearchStrategy[Any]] = {}
    for f in spec.contract().generation[endpoint]:
        if f.required or f.name in SKIPPED or f.kind in ("id_list", "strength_list"):
            continue
        if f.kind in ("string", "url"):
            value: st.SearchStrategy[Any] = st.sampled_from(("blurry, low quality", ""))
        else:
            value = wire_value(f)
        out[f.name] = st.none() | value if nulls else value
    return out


@st.composite
def valid_requests(draw: st.DrawFn, endpoint: str | None = None, *, key: str = KEY,
                   model_ids: Sequence[str] = (MODEL_ID,), nulls: bool = True,
                   lora: bool = True) -> dict[str, Any]:
    """A valid body for `endpoint` (any generation endpoint when None), in any wire form.

    Optional fields may be absent or (with `nulls`) null; bodies shrink to the required fields.
    """
    endpoint = endpoint or draw(st.sampled_from(GENERATION))
    body = base(endpoint, key=key, model_id=draw(st.sampled_from(tuple(model_ids))),
                prompt=draw(st.sampled_from(PROMPTS)))
    optional = _optional(endpoint, nulls)
    # A list of names shrinks by dropping items, so bodies shrink to the required fields.
    pairs = st.sampled_from(sorted(optional)).flatmap(
        lambda name: st.tuples(st.just(name), optional[name]))
    body.update(draw(st.lists(pairs, unique_by=lambda pair: pair[0])))
    if lora and spec.contract().has_field(endpoint, "lora_strength"):
        body.update(draw(loras(endpoint)))
    return body


def with_fields(body: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """A copy of `body` with fields set (None removes one)."""
    out = dict(body)
    for name, value in fields.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out
