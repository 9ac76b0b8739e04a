"""Boundary cases that close the gate's blind spots: every boundary in its other wire form
(numbers as strings), images downloaded at each size and upscale boundary, `base64` links,
and invalid bodies whose answer must be a refusal rather than a crash.

Registered after the rules' own producers, so a rule's first (cover) case stays its plain one.
"""

from __future__ import annotations

from collections.abc import Iterator

import spec
from contracts.rules import (
    CLIP_SKIP_RANGE,
    GUIDANCE_SCALE_RANGE,
    IMAGES_BASE64,
    IMAGES_SIZE,
    INVALID_REFUSED,
    OUTPUT_COUNT,
    SAMPLES_RANGE,
    SIZE_RANGE,
    STEPS_MIN,
    WEBHOOK_DELIVERY,
    WEBHOOK_TRACK_ID,
    Rule,
)
from contracts.strategies import _response_cases  # noqa: F401  (its producers come first)
from contracts.strategies._boundaries import Case, boundary, judged
from contracts.strategies._forms import plain
from contracts.strategies._request_cases import _candidates, _fields_for
from contracts.strategies._requests import base
from contracts.vocabulary import INSIDE, OUTSIDE, WEBHOOK


@boundary(STEPS_MIN, SAMPLES_RANGE, SIZE_RANGE, GUIDANCE_SCALE_RANGE, CLIP_SKIP_RANGE)
def _as_strings(r: Rule, endpoint: str) -> Iterator[Case]:
    """Each numeric boundary again with the number sent as a string (a documented form)."""
    for f in _fields_for(endpoint, r):
        if f.kind not in ("integer", "number"):
            continue
        for v in _candidates(f):
            body = {**base(endpoint), f.name: plain(v)}
            case = judged(r, endpoint, body, f"{f.name}={plain(v)!r} as a string",
                          images=r is SIZE_RANGE)
            if case is not None:
                yield case


@OUTPUT_COUNT.boundary()
def _counts_as_strings(r: Rule, endpoint: str) -> Iterator[Case]:
    samples = spec.contract().field(endpoint, "samples")
    for n in range(int(samples.minimum or 1), int(samples.maximum or 1) + 1):
        yield Case(r, INSIDE, endpoint, {**base(endpoint), "samples": str(n)},
                   f"samples={str(n)!r} as a string")


@IMAGES_SIZE.boundary()
def _sizes(r: Rule, endpoint: str) -> Iterator[Case]:
    """Images downloaded at each size boundary and at the largest upscale."""
    width = spec.contract().field(endpoint, "width")
    upscale = spec.contract().field(endpoint, "upscale")
    low, high = int(width.minimum or 256), int(width.maximum or 1024)
    top = int(upscale.maximum or 1)
    for w, h, up in ((high, high, "no"), (low, high, "no"), (high, low, "no"),
                     (low, low, top), (low, low, str(top))):
        yield Case(r, INSIDE, endpoint, {**base(endpoint), "width": w, "height": h,
                                         "upscale": up},
                   f"{w}x{h} upscale={up!r}", images=True)


@IMAGES_BASE64.boundary()
def _base64(r: Rule, endpoint: str) -> Iterator[Case]:
    for value in ("yes", True):
        yield Case(r, INSIDE, endpoint, {**base(endpoint), "base64": value},
                   f"base64={value!r}", images=True)
    yield Case(r, OUTSIDE, endpoint, {**base(endpoint), "base64": "no"}, "base64='no'",
               images=True)


@INVALID_REFUSED.boundary()
def _invalid(r: Rule, endpoint: str) -> Iterator[Case]:
    samples = spec.contract().field(endpoint, "samples")
    width = spec.contract().field(endpoint, "width")
    for name, value in (("samples", int(samples.maximum or 4) + 1),
                        ("width", int(width.maximum or 1024) + 1), ("samples", "many")):
        yield Case(r, OUTSIDE, endpoint, {**base(endpoint), name: value},
                   f"{name}={value!r} (invalid)")


@boundary(WEBHOOK_DELIVERY, WEBHOOK_TRACK_ID)
def _webhook(r: Rule, endpoint: str) -> Iterator[Case]:
    """A job with a webhook (the gate's receiver) and a track_id."""
    yield Case(r, INSIDE, endpoint, {**base(endpoint), "webhook": WEBHOOK,
                                     "track_id": "mc-track-7"}, "webhook with track_id")
