"""The rule registry: every rule stated once, as an object the parser, the mock, the strategies
and the checks all hold.

Checks and boundary producers register ON their rule, through one mechanism (`Hook`)::

    @STEPS_CAP.check(sides=(INSIDE, OUTSIDE))
    def _steps_cap(rule: Rule, ex: Exchange) -> Outcome: ...

    @STEPS_CAP.boundary()
    def _steps_cap_cases(rule: Rule, endpoint: str) -> Iterator[Case]: ...

A rule's id is for display and JSON (`rule.id`, `RULES[id]`); code passes the object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeVar

import spec
from contracts.vocabulary import SIDES, Side

V6, V4 = spec.V6, spec.V4
GENERATION, FETCH = spec.GENERATION_PATHS, spec.FETCH_PATHS

#: The kinds of hook a rule holds: checks judge an exchange, producers make boundary cases.
CHECK: Final = "check"
BOUNDARY: Final = "boundary"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, eq=False)
class Rule:
    """One rule of the contract. Rules are singletons: they compare (and hash) by identity."""

    id: str
    title: str
    #: A ledger row id (spec/LEDGER.md) or a source id (spec/sources) the rule comes from.
    source: str
    #: "request": decided by parsing the request (the backend must reject or accept).
    #: "response": a property of the answer itself (shape, echo, lifecycle).
    phase: str
    #: The body field the rule guards, when there is one.
    field: str | None = None
    endpoints: tuple[str, ...] = GENERATION

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"Rule({self.id!r})"

    def __copy__(self) -> Rule:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Rule:
        return self

    def __reduce__(self) -> tuple[Callable[[str], Rule], tuple[str]]:
        """Unpickled as the registered rule of the same id (rules are singletons)."""
        return rule, (self.id,)

    def check(self, *, sides: tuple[Side, ...] = SIDES,
              defers_to: tuple[Rule, ...] = ()) -> Callable[[F], F]:
        """Register `function(rule, exchange) -> Outcome` as a check of this rule.

        `sides`: the sides it can judge. `defers_to`: rules whose violation on the same
        exchange explains this one's (the check then reports not applicable).
        """
        return self._hook(CHECK, sides, defers_to)

    def boundary(self) -> Callable[[F], F]:
        """Register `producer(rule, endpoint) -> Iterable[Case]` as a boundary producer."""
        return self._hook(BOUNDARY, SIDES, ())

    def _hook(self, kind: str, sides: tuple[Side, ...],
              defers_to: tuple[Rule, ...]) -> Callable[[F], F]:
        def register(function: F) -> F:
            _HOOKS.append(Hook(kind, self, function, sides, defers_to))
            return function
        return register

    @property
    def checks(self) -> tuple[Hook, ...]:
        return hooks(CHECK, (self,))

    @property
    def producers(self) -> tuple[Hook, ...]:
        return hooks(BOUNDARY, (self,))

    @property
    def sides(self) -> tuple[Side, ...]:
        """Every side some check of this rule can judge."""
        return tuple(s for s in SIDES if any(s in h.sides for h in self.checks))

    def applies_to(self, endpoint: str) -> bool:
        """The rule is about `endpoint`: listed, and (for a field's rule) a field of it
        (realtime has no steps, v3 no model_id)."""
        return endpoint in self.endpoints and (
            self.field is None or endpoint not in GENERATION
            or spec.contract().has_field(endpoint, self.field))


@dataclass(frozen=True)
class Hook:
    """A function registered on a rule: a check or a boundary producer. It is called with
    the rule first, so one function may serve several rules and never restates an id."""

    kind: str
    rule: Rule
    function: Callable[..., Any]
    sides: tuple[Side, ...]
    defers_to: tuple[Rule, ...] = ()

    @property
    def name(self) -> str:
        return self.function.__name__.lstrip("_")

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


#: Every hook, in registration order (the order boundary cases and checks run in).
_HOOKS: list[Hook] = []
_REGISTRY: dict[str, Rule] = {}


def hooks(kind: str, rules: Iterable[Rule] | None = None) -> tuple[Hook, ...]:
    """The hooks of `kind` (of `rules` only, when given), in registration order."""
    wanted = None if rules is None else set(rules)
    return tuple(h for h in _HOOKS if h.kind == kind and (wanted is None or h.rule in wanted))


def _define(id: str, title: str, source: str, phase: str, field: str | None = None,
            endpoints: tuple[str, ...] = GENERATION) -> Rule:
    if id in _REGISTRY:
        raise ValueError(f"rule {id} stated twice")
    _REGISTRY[id] = Rule(id, title, source, phase, field, endpoints)
    return _REGISTRY[id]


_ANY = GENERATION + FETCH

# Requests: what a backend must reject, cap or accept.
BODY_JSON = _define("body.json", "the body is a JSON object", "error-status", "request",
                    endpoints=_ANY)
FIELD_REQUIRED = _define("field.required", "key, model_id and prompt (request_id on fetch) "
                         "are present", "v6-openapi", "request", endpoints=_ANY)
FIELD_TYPE = _define("field.type", "every field is in one of its documented wire forms",
                     "numbers-as-strings", "request")
STEPS_MIN = _define("steps.min", "num_inference_steps is at least 1", "steps", "request",
                    "num_inference_steps")
STEPS_CAP = _define("steps.cap", "steps above the cap (v6 20, v4 50) are accepted and "
                    "meta.steps is capped", "steps", "request", "num_inference_steps")
SAMPLES_RANGE = _define("samples.range", "samples is 1 to 4", "samples", "request", "samples")
SIZE_RANGE = _define("size.range", "width and height are 256 to 1024 and multiples of 8",
                     "size-limits", "request", "width")
GUIDANCE_SCALE_RANGE = _define("guidance_scale.range", "guidance_scale is 1 to 20",
                               "guidance-type", "request", "guidance_scale")
CLIP_SKIP_RANGE = _define("clip_skip.range", "clip_skip is 1 to 8", "clip-skip-default",
                          "request", "clip_skip")
IP_ADAPTER_SCALE_RANGE = _define("ip_adapter_scale.range", "ip_adapter_scale is 0 to 1",
                                 "v6-openapi", "request", "ip_adapter_scale")
SEED_RANGE = _define("seed.range", "seed is null or 0 to 2^32-1", "seed", "request", "seed")
UPSCALE_RANGE = _define("upscale.range", "upscale is yes/no or a factor 1 to 3", "upscale",
                        "request", "upscale")
LORA_STRENGTH_RANGE = _define("lora_strength.range", "each LoRA strength is 0.1 to 1",
                              "lora-strength-type", "request", "lora_strength")
LORA_COUNT = _define("lora.count", "as many strengths as LoRA ids (or none)", "lora-lists",
                     "request", "lora_strength")
_ENUM = "is one of its documented values"
SCHEDULER_ENUM = _define("scheduler.enum", f"scheduler {_ENUM}", "v6-text2img-page",
                         "request", "scheduler")
SAFETY_CHECKER_TYPE_ENUM = _define("safety_checker_type.enum", f"safety_checker_type {_ENUM}",
                                   "v6-openapi", "request", "safety_checker_type")
ENHANCE_STYLE_ENUM = _define("enhance_style.enum", f"enhance_style {_ENUM}", "v6-text2img-page",
                             "request", "enhance_style")
IP_ADAPTER_ID_ENUM = _define("ip_adapter_id.enum", f"ip_adapter_id {_ENUM}", "v6-openapi",
                             "request", "ip_adapter_id")
ALGORITHM_TYPE_ENUM = _define("algorithm_type.enum", f"algorithm_type {_ENUM}",
                              "algorithm-type", "request", "algorithm_type")
ASPECT_RATIO_ENUM = _define("aspect_ratio.enum", f"aspect_ratio {_ENUM} (v7)", "v7-params",
                            "request", "aspect_ratio")

# Responses: what every answer must look like.
RESPONSE_SCHEMA = _define("response.schema", "every body matches the authoritative response "
                          "schema", "statuses", "response", endpoints=_ANY)
ERROR_SHAPE = _define("error.shape", "errors carry status error and a message, with a "
                      "consistent HTTP status", "error-status", "response", endpoints=_ANY)
AUTH_KEY = _define("auth.key", "a request with an invalid key is refused", "error-status",
                   "response", endpoints=_ANY)
OUTPUT_COUNT = _define("output.count", "output (or future_links) has exactly `samples` links",
                       "samples", "response", "samples")
META_ECHO = _define("meta.echo", "meta echoes the effective W, H, n_samples, LoRAs and flags "
                    "as yes/no", "meta-keys", "response")
SEED_ECHO = _define("seed.echo", "meta.seed is the seed sent, or the random one picked for "
                    "null", "seed", "response", "seed")
PROCESSING_FETCH = _define("processing.fetch", "a queued job is fetched to success with the "
                           "same id and links", "fetch-forms", "response", endpoints=_ANY)
JOB_FAILED = _define("job.failed", "a queued job that fails is fetched as status failed with "
                     "its id and a message", "webhook-failure", "response", endpoints=_ANY)
FETCH_UNKNOWN = _define("fetch.unknown", "fetching an unknown id answers an error",
                        "fetch-forms", "response", endpoints=FETCH)
FLUX_WARNING = _define("flux.warning", "flux models ignore unsupported parameters and warn "
                       "about them", "flux", "response", "model_id")
IMAGES_SIZE = _define("images.size", "output images load and are (W x H) times upscale",
                      "upscale", "response", "upscale")
IMAGES_BASE64 = _define("images.base64", "with base64 yes, every link serves the image as "
                        "base64 text (not raw bytes)", "v6-openapi", "response", "base64")
INVALID_REFUSED = _define("invalid.refused", "an invalid body is refused with an error, never "
                          "a server crash (5xx) that recurs while valid bodies succeed",
                          "error-status", "response", endpoints=_ANY)
WEBHOOK_DELIVERY = _define("webhook.delivery", "a job sent with a webhook URL posts its final "
                           "success body, with the job's id, to that URL", "v6-openapi",
                           "response", "webhook")
WEBHOOK_TRACK_ID = _define("webhook.track_id", "the webhook body carries the track_id sent",
                           "v6-openapi", "response", "track_id")

RULES: Mapping[str, Rule] = MappingProxyType(_REGISTRY)


def rule(ref: Rule | str) -> Rule:
    """The registered rule of an id (or the rule itself): how spec data's ids become rules."""
    return ref if isinstance(ref, Rule) else RULES[ref]


def iter_rules(phase: str | None = None, endpoint: str | None = None) -> Iterator[Rule]:
    for r in RULES.values():
        if (phase is None or r.phase == phase) and (endpoint is None or r.applies_to(endpoint)):
            yield r
