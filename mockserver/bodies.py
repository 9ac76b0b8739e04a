"""The bodies the mock answers with, as plain functions of a request, a job and the spec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import spec
from contracts import GenerationRequest, Violation
from contracts.model import lora_text
from mockserver.jobs import Job

#: Meta keys whose value is "not applied" for a flux model that ignored the field.
_IGNORED_META = {"lora_model": ("lora", "lora_strength"), "embeddings_model": ("embeddings_model",),
                 "negative_prompt": ("negative_prompt",), "enhance_style": ("enhance_style",),
                 "ip_adapter_id": ("ip_adapter_id",)}


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def effective_upscale(request: GenerationRequest) -> int:
    """The factor the images are made larger by (flux models ignore upscale)."""
    return 1 if "upscale" in request.ignored else request.upscale


def meta(request: GenerationRequest, seed: int, upscale: int | None = None) -> dict[str, Any]:
    """`meta` echoing the effective values: capped steps, the seed used, flags as yes/no.
    `upscale`: the request's `effective_upscale`, when the caller has it already."""
    if upscale is None:
        upscale = effective_upscale(request)
    lora, lora_strength = lora_text(request.loras)
    ignored = request.ignored
    out, overrides = _layout(request.flags, request.options, ignored)
    out["prompt"] = request.prompt
    out["model_id"] = request.model_id
    out["negative_prompt"] = request.negative_prompt
    out["scheduler"] = request.scheduler
    out["W"] = request.width
    out["H"] = request.height
    out["guidance_scale"] = request.guidance_scale
    out["seed"] = seed
    out["steps"] = request.steps
    out["n_samples"] = request.samples
    out["clip_skip"] = request.clip_skip
    out["upscale"] = "no" if upscale == 1 else str(upscale)
    out["lora"] = lora
    out["lora_strength"] = lora_strength
    if overrides:
        out.update(overrides)
    for name in ignored:
        for key in _IGNORED_META.get(name, ()):
            out[key] = None
    return out


#: The keys `meta` fills per request, in order; the flags' words and the options follow them.
_FIXED = ("prompt", "model_id", "negative_prompt", "scheduler", "W", "H", "guidance_scale",
          "seed", "steps", "n_samples", "clip_skip", "upscale", "lora", "lora_strength")
_YES_NO = {True: "yes", False: "no"}
_Layout = tuple[Mapping[str, bool], Mapping[str, Any], tuple[str, ...], dict[str, Any],
                dict[str, str]]
#: The meta layouts of the last flags and options mappings asked for, by their identities (the
#: parser shares one mapping among the requests that send the same flags, or options); emptied
#: when it holds `META_LAYOUTS`.
_LAYOUTS: dict[tuple[int, int, tuple[str, ...]], _Layout] = {}
META_LAYOUTS = 256


def _layout(flags: Mapping[str, bool], options: Mapping[str, Any],
            ignored: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """A fresh copy of meta's keys in order with the flags' words and the options filled in
    (the fixed keys are for the caller to fill), and the flags' words the fixed keys must not
    hide (a flag named like one of them; none is): built once per flags and options."""
    key = (id(flags), id(options), ignored)
    known = _LAYOUTS.get(key)
    if known is None or known[0] is not flags or known[1] is not options:
        out: dict[str, Any] = dict.fromkeys(_FIXED)
        if ignored:
            for name, value in flags.items():
                out[name] = yes_no(value and name not in ignored)
        else:
            out.update(zip(flags, map(_YES_NO.__getitem__, map(bool, flags.values())),
                           strict=True))
        overrides = {name: out[name] for name in flags if name in _FIXED}
        if out.keys().isdisjoint(options):
            out.update(options)
        else:
            for name, value in options.items():
                out.setdefault(name, value)
        known = (flags, options, ignored, out, overrides)
        if type(flags) is type(options) is MappingProxyType:  # (read-only: the parser's)
            if len(_LAYOUTS) >= META_LAYOUTS:
                _LAYOUTS.clear()
            # (The mappings it holds keep their ids alive, so an id is never another's.)
            _LAYOUTS[key] = known
    return known[3].copy(), known[4]


def flux_warning(request: GenerationRequest) -> str | None:
    if not request.ignored:
        return None
    return (f"{request.model_id} does not support {', '.join(request.ignored)}: "
            "ignored for this request")


def generation_time(request: GenerationRequest, upscale: int | None = None) -> float:
    """A plausible, deterministic time in seconds, growing with the work asked for.
    `upscale`: the request's `effective_upscale`, when the caller has it already. Remembered
    per work shape (rounding to 2 places costs a microsecond, and clients repeat shapes)."""
    if upscale is None:
        upscale = effective_upscale(request)
    shape = (request.samples, request.steps, request.width, request.height, upscale)
    seconds = _TIMES.get(shape)
    if seconds is None:
        seconds = round(0.4 + 0.5 * workload(request, upscale), 2)
        if len(_TIMES) >= GENERATION_TIMES:
            _TIMES.clear()
        _TIMES[shape] = seconds
    return seconds


#: (samples, steps, width, height, upscale) -> its generation time; emptied when it holds
#: `GENERATION_TIMES`.
_TIMES: dict[tuple[int, int, int, int, int], float] = {}
GENERATION_TIMES = 256


def workload(request: GenerationRequest, upscale: int | None = None) -> float:
    """Work in units of one 512x512 image at 20 steps (what the `workload` queue policy uses)."""
    if upscale is None:
        upscale = effective_upscale(request)
    size = request.width * request.height * upscale ** 2 / (512 * 512)
    return request.samples * request.steps * size / 20


def success(job: Job, origin: str, *, job_id: int | str | None = None) -> dict[str, Any]:
    links = job.urls(origin)
    out: dict[str, Any] = {
        "status": "success",
        "generationTime": job.generation_time,
        "id": job.id if job_id is None else job_id,
        "output": links,
        "proxy_links": links.copy(),
        "nsfw_content_detected": False,
        "meta": job.meta,
    }
    if job.warning:
        out["warning"] = job.warning
    return out


# -- a job's end: success, or failed when `Job.failure` is set (the one place that tells) ---


def ended(job: Job, origin: str) -> tuple[str, dict[str, Any]]:
    """What fetch answers for a job whose time has come: (journal outcome, body)."""
    if job.failure is not None:
        return "failed", failed(job)
    return "success", success(job, origin)


def webhook(job: Job) -> dict[str, Any]:
    """The payload a job's webhook carries when it ends (absolute links on its own origin)."""
    if job.failure is not None:
        return {**failed(job), "track_id": job.track_id}
    return {**success(job, job.origin), "track_id": job.track_id, "webhook_status": "complete"}


def processing(job: Job, origin: str, fetch_path: str, eta: float, *, quirks: bool,
               from_fetch: bool) -> dict[str, Any]:
    """`fetch_path` is the job's own by-id fetch path (where `fetch_result` points)."""
    fetch_url = origin + fetch_path
    out: dict[str, Any] = {
        "status": "processing",
        "tip": f"The image is being generated; fetch it after `eta` seconds from {fetch_url}",
        "eta": round(max(eta, 0.0), 2),
        ("messege" if quirks else "message"): "Try to fetch request after given estimated time",
        "fetch_result": fetch_url,
        "id": str(job.id) if (quirks and from_fetch) else job.id,
        "output": spec.contract().quirks["pending_output"] if (quirks and from_fetch) else [],
        "future_links": job.urls(origin),
        "meta": job.meta,
    }
    if job.warning:
        out["warning"] = job.warning
    return out


def error(name: str, message: str | None = None, *, http: bool = False,
          retry_after: int | None = None, model_id: str | None = None) -> dict[str, Any]:
    """The error shape for one of the spec's `x-contract.errors`: in http mode the error-code
    catalogue's message where it states one (ledger `error-messages`), with a 429's
    `retry_after` (ledger `retry-after`)."""
    status = "failed" if name == "failed" else "error"
    entry = spec.contract().errors[name]
    text = message or (entry.get("catalogue") or entry["message"] if http else entry["message"])
    if model_id is not None and http:
        text = text.replace("{model_id}", model_id)
    out: dict[str, Any] = {"status": status, "message": text}
    if retry_after is not None and http:  # the catalogue's field; the legacy body has none
        out["retry_after"] = retry_after
    return out


def failed(job: Job) -> dict[str, Any]:
    """A job that ended failed, as fetch answers it (ledger `webhook-failure`); its webhook
    adds `track_id` (`webhook`)."""
    return {"status": "failed", "id": job.id,
            "message": job.failure or spec.contract().errors["failed"]["message"]}


def messages(violations: Iterable[Violation]) -> dict[str, list[str]]:
    """Field -> the rules' own sentences about it ("body" for the body as a whole)."""
    out: dict[str, list[str]] = {}
    for v in violations:
        out.setdefault(v.field or "body", []).append(v.message)
    return out


def validation(messages: Mapping[str, list[str]], *, http: bool = False) -> dict[str, Any]:
    """The legacy validation shape (field -> list of messages); in http mode one plain string
    ("prompt is required; width must be ..."), as the error-code catalogue shows them."""
    if http:
        return {"status": "error", "message": "; ".join(
            f"{name} {text}" if name != "body" else text
            for name, texts in messages.items() for text in texts)}
    return {"status": "error", "message": messages}


def http_status(name: str, error_mode: str) -> int:
    """The HTTP status an error body travels with in the given error mode."""
    errors: Mapping[str, Mapping[str, Any]] = spec.contract().errors
    if name == "payload_too_large":
        return int(errors[name]["http"])  # a transport limit: 413 in both modes
    return int(errors[name]["http"]) if error_mode == "http" else 200
