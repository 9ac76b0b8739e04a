"""Echo rules: what an accepted answer's `meta` repeats of the request (sizes, samples, LoRAs,
flags, the seed)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import spec
from contracts import _wire
from contracts.checks._guards import live_replies, only_accepted, only_generation, request_of
from contracts.checks._model import Exchange, Outcome, Reply, passed, violated
from contracts.model import GenerationRequest
from contracts.rules import META_ECHO, SEED_ECHO, Rule
from contracts.vocabulary import INSIDE, OUTSIDE


def _meta(reply: Reply) -> Mapping[str, Any] | None:
    meta = reply.body.get("meta") if isinstance(reply.body, Mapping) else None
    return meta if isinstance(meta, Mapping) else None


def _get(meta: Mapping[str, Any], name: str) -> Any:
    alias = spec.contract().quirks.get("meta_aliases", {}).get(name)
    value = meta.get(name)
    return meta.get(alias) if value is None and alias else value


def _same_int(a: Any, b: int) -> bool:
    try:
        return _wire.to_int(a) == b
    except _wire.WireError:
        return False


def _meta_problems(request: GenerationRequest, meta: Mapping[str, Any]) -> Iterator[str]:
    # Ledger `meta-names`: sizes as W/H (with n_samples) or, the flux form, width/height.
    flux_form = "W" not in meta and "H" not in meta and ("width" in meta or "height" in meta)
    names = (("width", request.width), ("height", request.height)) if flux_form else (
        ("W", request.width), ("H", request.height), ("n_samples", request.samples))
    for name, want in names:
        if not _same_int(meta.get(name), want):
            yield f"meta.{name}={meta.get(name)!r}, expected {want}"
    for name, value in request.flags.items():
        seen = _get(meta, name)
        if seen is None or name in request.ignored:
            continue
        word = "yes" if value else "no"
        if seen != word:
            yield f"meta.{name}={seen!r}, expected {word!r}"
    if request.loras and "lora_model" not in request.ignored:
        ids = _get(meta, "lora")
        try:
            seen_ids = _wire.to_id_list(ids)
        except _wire.WireError:
            seen_ids = ()
        if seen_ids != tuple(lo.id for lo in request.loras):
            yield f"meta.lora={ids!r}, expected {request.lora_ids!r}"
        strengths = meta.get("lora_strength")
        try:
            seen_s = _wire.to_strength_list(strengths)
        except _wire.WireError:
            seen_s = ()
        want_s = tuple(lo.strength for lo in request.loras)
        if len(seen_s) != len(want_s) or not all(
                math.isclose(a, b, abs_tol=1e-6) for a, b in zip(seen_s, want_s, strict=False)):
            yield f"meta.lora_strength={strengths!r}, expected {request.lora_strengths!r}"


@META_ECHO.check(sides=(INSIDE,))
@only_generation
@only_accepted
def _meta_echo(r: Rule, ex: Exchange) -> Outcome:
    """meta echoes W, H, n_samples, the LoRAs and their strengths, and flags as yes/no."""
    request = request_of(ex)
    for reply in live_replies(ex):
        meta = _meta(reply)
        if meta is None:
            return violated(r, INSIDE, "a meta object", reply.short())
        for problem in _meta_problems(request, meta):
            return violated(r, INSIDE, "meta echoing the request", problem)
    return passed(r, INSIDE)


@SEED_ECHO.check()
@only_generation
@only_accepted
def _seed_echo(r: Rule, ex: Exchange) -> Outcome:
    """meta.seed is the seed sent (inside) or, for null, a seed the backend picked (outside)."""
    request = request_of(ex)
    f = spec.contract().field(request.endpoint, "seed")
    side = INSIDE if request.seed is not None else OUTSIDE
    for reply in live_replies(ex):
        meta = _meta(reply) or {}
        seen = meta.get("seed")
        try:
            value = _wire.to_int(seen)
        except _wire.WireError:
            return violated(r, side, "an integer meta.seed", f"meta.seed={seen!r}")
        if request.seed is not None and value != request.seed:
            return violated(r, side, f"meta.seed={request.seed}", f"meta.seed={seen!r}")
        if not (f.minimum or 0) <= value <= (f.maximum or math.inf):
            return violated(r, side, "a seed in range", f"meta.seed={seen!r}")
    return passed(r, side)
