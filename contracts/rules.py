"""The rule registry: every rule stated once, read by the parser, the mock, the strategies and
the checks alike."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import spec

V6, V4 = spec.V6, spec.V4
GENERATION, FETCH = spec.GENERATION_PATHS, spec.FETCH_PATHS


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    #: A ledger row id (spec/LEDGER.md) or a source id (spec/sources) the rule comes from.
    source: str
    endpoints: tuple[str, ...]
    #: "request": decided by parsing the request (the backend must reject or accept).
    #: "response": a property of the answer itself (shape, echo, lifecycle).
    phase: str
    #: The body field the rule guards, when there is one.
    field: str | None = None


_REGISTRY: dict[str, Rule] = {}


def _rule(id: str, title: str, source: str, phase: str, field: str | None = None,
          endpoints: tuple[str, ...] = GENERATION) -> None:
    if id in _REGISTRY:
        raise ValueError(f"rule {id} stated twice")
    _REGISTRY[id] = Rule(id, title, source, endpoints, phase, field)


# Requests: what a backend must reject, cap or accept.
_rule("body.json", "the body is a JSON object", "error-status", "request",
      endpoints=GENERATION + FETCH)
_rule("field.required", "key, model_id and prompt (request_id on fetch) are present",
      "v6-openapi", "request", endpoints=GENERATION + FETCH)
_rule("field.type", "every field is in one of its documented wire forms", "numbers-as-strings",
      "request")
_rule("steps.min", "num_inference_steps is at least 1", "steps", "request",
      "num_inference_steps")
_rule("steps.cap", "steps above the cap (v6 20, v4 50) are accepted and meta.steps is capped",
      "steps", "request", "num_inference_steps")
_rule("samples.range", "samples is 1 to 4", "samples", "request", "samples")
_rule("size.range", "width and height are 256 to 1024 and multiples of 8", "size-limits",
      "request", "width")
_rule("guidance_scale.range", "guidance_scale is 1 to 20", "guidance-type", "request",
      "guidance_scale")
_rule("clip_skip.range", "clip_skip is 1 to 8", "clip-skip-default", "request", "clip_skip")
_rule("ip_adapter_scale.range", "ip_adapter_scale is 0 to 1", "v6-openapi", "request",
      "ip_adapter_scale")
_rule("seed.range", "seed is null or 0 to 2^32-1", "seed", "request", "seed")
_rule("upscale.range", "upscale is yes/no or a factor 1 to 3", "upscale", "request", "upscale")
_rule("lora_strength.range", "each LoRA strength is 0.1 to 1", "lora-strength-type", "request",
      "lora_strength")
_rule("lora.count", "as many strengths as LoRA ids (or none)", "lora-lists", "request",
      "lora_strength")
for _name, _source in (("scheduler", "v6-text2img-page"), ("safety_checker_type", "v6-openapi"),
                       ("enhance_style", "v6-text2img-page"), ("ip_adapter_id", "v6-openapi"),
                       ("algorithm_type", "algorithm-type")):
    _rule(f"{_name}.enum", f"{_name} is one of its documented values", _source, "request", _name)

# Responses: what every answer must look like.
_rule("response.schema", "every body matches the authoritative response schema", "statuses",
      "response", endpoints=GENERATION + FETCH)
_rule("error.shape", "errors carry status error and a message, with a consistent HTTP status",
      "error-status", "response", endpoints=GENERATION + FETCH)
_rule("auth.key", "a request with an invalid key is refused", "error-status", "response",
      endpoints=GENERATION + FETCH)
_rule("output.count", "output (or future_links) has exactly `samples` links", "samples",
      "response", "samples")
_rule("meta.echo", "meta echoes the effective W, H, n_samples, LoRAs and flags as yes/no",
      "meta-keys", "response")
_rule("seed.echo", "meta.seed is the seed sent, or the random one picked for null", "seed",
      "response", "seed")
_rule("processing.fetch", "a queued job is fetched to success with the same id and links",
      "fetch-forms", "response", endpoints=GENERATION + FETCH)
_rule("fetch.unknown", "fetching an unknown id answers an error", "fetch-forms", "response",
      endpoints=FETCH)
_rule("flux.warning", "flux models ignore unsupported parameters and warn about them", "flux",
      "response", "model_id")
_rule("images.size", "output images load and are (W x H) times upscale", "upscale", "response",
      "upscale")

RULES: Mapping[str, Rule] = MappingProxyType(_REGISTRY)


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def iter_rules(phase: str | None = None, endpoint: str | None = None) -> Iterator[Rule]:
    for r in RULES.values():
        if (phase is None or r.phase == phase) and (endpoint is None or endpoint in r.endpoints):
            yield r
