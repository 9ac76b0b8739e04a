"""Boundary producers of the response rules: payloads whose answers must show a property
(a shape, an echo, a queued job's lifecycle, a flux warning, image sizes)."""

from __future__ import annotations

from collections.abc import Iterator

import spec
from contracts.rules import (
    AUTH_KEY,
    ERROR_SHAPE,
    FETCH_UNKNOWN,
    FLUX_WARNING,
    IMAGES_SIZE,
    JOB_FAILED,
    META_ECHO,
    OUTPUT_COUNT,
    PROCESSING_FETCH,
    RESPONSE_SCHEMA,
    SEED_ECHO,
    Rule,
)
from contracts.strategies._boundaries import Case, fetch_paths
from contracts.strategies._requests import LORA_IDS, base, with_fields
from contracts.vocabulary import FAIL, INSIDE, INVALID_KEY, KEY, OUTSIDE, QUEUE, UNKNOWN_ID


@AUTH_KEY.boundary()
def _auth(r: Rule, endpoint: str) -> Iterator[Case]:
    yield Case(r, INSIDE, endpoint, base(endpoint), "the gate's key")
    yield Case(r, OUTSIDE, endpoint, base(endpoint, key=INVALID_KEY), "an invalid key")


@RESPONSE_SCHEMA.boundary()
def _schema(r: Rule, endpoint: str) -> Iterator[Case]:
    yield Case(r, INSIDE, endpoint, base(endpoint), "a success body")
    yield Case(r, OUTSIDE, endpoint, {**base(endpoint), "samples": 0}, "an error body")


@ERROR_SHAPE.boundary()
def _error_shape(r: Rule, endpoint: str) -> Iterator[Case]:
    yield Case(r, INSIDE, endpoint, base(endpoint), "a success is no error")
    yield Case(r, OUTSIDE, endpoint, with_fields(base(endpoint), prompt=None),
               "a validation error")


@OUTPUT_COUNT.boundary()
def _output_count(r: Rule, endpoint: str) -> Iterator[Case]:
    samples = spec.contract().field(endpoint, "samples")
    for n in range(int(samples.minimum or 1), int(samples.maximum or 1) + 1):
        yield Case(r, INSIDE, endpoint, {**base(endpoint), "samples": n}, f"samples={n}")


@META_ECHO.boundary()
def _meta_echo(r: Rule, endpoint: str) -> Iterator[Case]:
    rich = {**base(endpoint), "width": 768, "height": "512", "samples": "2",
            "lora_model": ",".join(LORA_IDS[:2]), "lora_strength": "0.45,0.55",
            "safety_checker": False, "enhance_prompt": "no", "panorama": "yes", "tomesd": True}
    yield Case(r, INSIDE, endpoint, rich, "sizes, samples, LoRAs and flags")
    yield Case(r, INSIDE, endpoint, {**base(endpoint), "lora_model": LORA_IDS[0]},
               "one LoRA without strength (echoed as 1)")


@SEED_ECHO.boundary()
def _seed(r: Rule, endpoint: str) -> Iterator[Case]:
    yield Case(r, INSIDE, endpoint, {**base(endpoint), "seed": 12345}, "seed=12345")
    yield Case(r, INSIDE, endpoint, {**base(endpoint), "seed": "4242"}, 'seed="4242"')
    yield Case(r, OUTSIDE, endpoint, {**base(endpoint), "seed": None},
               "seed=null (the backend picks one)")


@PROCESSING_FETCH.boundary()
def _processing(r: Rule, endpoint: str) -> Iterator[Case]:
    for path in fetch_paths(endpoint):
        yield Case(r, INSIDE, endpoint, {**base(endpoint), "samples": 2},
                   f"queued job fetched via {path}", prefer=QUEUE, fetch_via=path)


@JOB_FAILED.boundary()
def _failed(r: Rule, endpoint: str) -> Iterator[Case]:
    # A scenario hint, like QUEUE: a real backend ignores it (the check is then not applicable).
    yield Case(r, INSIDE, endpoint, base(endpoint), "a queued job asked to fail",
               prefer=FAIL)


@FETCH_UNKNOWN.boundary()
def _unknown(r: Rule, endpoint: str) -> Iterator[Case]:
    for path in fetch_paths(endpoint):
        if "{id}" in path:
            yield Case(r, INSIDE, path, {"key": KEY}, f"unknown id via {path}",
                       path_id=UNKNOWN_ID)
        else:
            yield Case(r, INSIDE, path, {"key": KEY, "request_id": UNKNOWN_ID},
                       f"unknown id via {path}")


@FLUX_WARNING.boundary()
def _flux(r: Rule, endpoint: str) -> Iterator[Case]:
    contract = spec.contract()
    for i, model in enumerate(contract.flux_models):
        ignored = contract.flux_unsupported[i::len(contract.flux_models)][:2]
        body = {**base(endpoint, model_id=model)}
        for name in ignored:
            f = contract.field(endpoint, name)
            body[name] = (f.enum or ("yes",))[0] if f.kind in ("enum", "flag", "upscale") \
                else LORA_IDS[0] if f.kind == "id_list" else "blurry"
        yield Case(r, INSIDE, endpoint, body,
                   f"{model} with {', '.join(ignored)}")


@IMAGES_SIZE.boundary()
def _images(r: Rule, endpoint: str) -> Iterator[Case]:
    f = spec.contract().field(endpoint, "width")
    small = int(f.minimum or 256)
    other = small + (f.multiple_of or 8) * 8
    for width, height, up in ((small, other, "no"), (other, small, 2), (small, small, "3"),
                              (small, small, "yes")):
        body = {**base(endpoint), "width": width, "height": height, "upscale": up}
        yield Case(r, INSIDE, endpoint, body, f"{width}x{height} upscale={up!r}",
                   images=True)
    flux = spec.contract().flux_models[0]
    yield Case(r, INSIDE, endpoint,
               {**base(endpoint, model_id=flux), "width": small, "height": small,
                "upscale": 2}, f"{flux} ignores upscale", images=True)
    yield Case(r, INSIDE, endpoint, {**base(endpoint), "width": small,
               "height": small, "upscale": 2, "samples": 2}, "a queued job's images",
               images=True, prefer=QUEUE)
