"""`bodies.meta` builds from a layout kept per shared flags and options mappings, and
`bodies.generation_time` is remembered per work shape: both are bounded, and two requests that
differ in one field get their own answer."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from contracts import V6, GenerationRequest, parse
from mockserver import bodies

BASE = {"key": "k", "model_id": "some-model", "prompt": "a red fox"}


def _request(**fields: Any) -> GenerationRequest:
    request = parse(V6, {**BASE, **fields}).request
    assert isinstance(request, GenerationRequest)
    return request


def _by_hand(request: GenerationRequest, seed: int) -> dict[str, Any]:
    """What meta holds, worked out without any layout."""
    out: dict[str, Any] = {
        "prompt": request.prompt, "model_id": request.model_id,
        "negative_prompt": request.negative_prompt, "scheduler": request.scheduler,
        "W": request.width, "H": request.height, "guidance_scale": request.guidance_scale,
        "seed": seed, "steps": request.steps, "n_samples": request.samples,
        "clip_skip": request.clip_skip,
        "upscale": "no" if request.upscale == 1 else str(request.upscale),
        "lora": None, "lora_strength": None}
    out.update({k: "yes" if v else "no" for k, v in request.flags.items()})
    for k, v in request.options.items():
        out.setdefault(k, v)
    return out


def test_meta_layouts_are_bounded_and_each_request_gets_its_own_meta() -> None:
    bodies._LAYOUTS.clear()
    for i in range(300):
        request = _request(prompt=f"p{i}", tomesd=bool(i % 2), vae=f"vae-{i % 290}")
        meta = bodies.meta(request, i)
        assert meta == _by_hand(request, i)
        assert list(meta) == list(_by_hand(request, i))  # the order is the answer's
        assert len(bodies._LAYOUTS) <= bodies.META_LAYOUTS
    first, second = _request(tomesd=True), _request(tomesd=False)
    assert bodies.meta(first, 1)["tomesd"] == "yes"
    assert bodies.meta(second, 1)["tomesd"] == "no"
    assert bodies.meta(first, 1) is not bodies.meta(first, 1)  # a fresh dict every time


def test_a_request_built_with_plain_dicts_is_never_kept() -> None:
    bodies._LAYOUTS.clear()
    flags = {"tomesd": True}
    request = GenerationRequest(
        endpoint=V6, key="k", model_id="m", prompt="p", negative_prompt=None, width=512,
        height=512, samples=1, steps=20, steps_requested=20, guidance_scale=7.5, seed=None,
        loras=(), scheduler="s", upscale=1, clip_skip=1, flags=flags,
        options=MappingProxyType({}))
    assert bodies.meta(request, 1)["tomesd"] == "yes"
    flags["tomesd"] = False  # (a caller's own dict may change)
    assert bodies.meta(request, 1)["tomesd"] == "no"
    assert not bodies._LAYOUTS


def test_generation_times_are_bounded_and_each_shape_gets_its_own() -> None:
    bodies._TIMES.clear()
    shapes = [(width, samples) for width in range(256, 1025, 8) for samples in (1, 2, 3)]
    assert len(shapes) > bodies.GENERATION_TIMES
    for width, samples in shapes:
        request = _request(width=width, samples=samples)
        expected = round(0.4 + 0.5 * bodies.workload(request), 2)
        assert bodies.generation_time(request) == expected
        assert len(bodies._TIMES) <= bodies.GENERATION_TIMES
    small, large = _request(width=256), _request(width=1024)
    assert bodies.generation_time(small) < bodies.generation_time(large)
    assert bodies.generation_time(small) == round(0.4 + 0.5 * bodies.workload(small), 2)
