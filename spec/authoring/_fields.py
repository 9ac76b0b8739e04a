"""The authoritative body parameters: one resolved statement per field, per API version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from spec._field import Field
from spec.authoring.sources import (
    IP_ADAPTER_IDS,
    SAFETY_CHECKER_TYPES,
    SCHEDULERS,
    v6_text2img_page,
)
from spec.endpoints import V4, V6

FLAG_DEFAULTS = {
    "safety_checker": "yes", "enhance_prompt": "yes", "tomesd": "yes",
    "use_karras_sigmas": "yes", "multi_lingual": "no", "panorama": "no",
    "self_attention": "no", "highres_fix": "no", "base64": "no", "temp": "no",
}

UINT32_MAX = 2**32 - 1

V6_FIELDS: tuple[Field, ...] = (
    Field("key", "string", required=True, rules=("field.required",)),
    Field("model_id", "string", required=True, rules=("field.required",)),
    Field("prompt", "string", required=True, rules=("field.required",)),
    Field("negative_prompt", "string"),
    Field("width", "integer", minimum=256, maximum=1024, multiple_of=8, default=512,
          rules=("size.range",), ledger=("size-limits", "numbers-as-strings")),
    Field("height", "integer", minimum=256, maximum=1024, multiple_of=8, default=512,
          rules=("size.range",), ledger=("size-limits", "numbers-as-strings")),
    Field("samples", "integer", minimum=1, maximum=4, default=1, rules=("samples.range",),
          ledger=("samples", "numbers-as-strings")),
    Field("num_inference_steps", "integer", minimum=1, cap=20, default=20,
          rules=("steps.min", "steps.cap"), ledger=("steps", "numbers-as-strings")),
    *(Field(name, "flag", default=value, ledger=("flags",) + (
        ("safety-checker-default",) if name == "safety_checker" else ()))
      for name, value in FLAG_DEFAULTS.items()),
    Field("safety_checker_type", "enum", enum=SAFETY_CHECKER_TYPES,
          default="sensitive_content_text", rules=("safety_checker_type.enum",)),
    Field("enhance_style", "enum", enum=v6_text2img_page.ENHANCE_STYLES,
          rules=("enhance_style.enum",)),
    Field("seed", "seed", minimum=0, maximum=UINT32_MAX, rules=("seed.range",),
          ledger=("seed",)),
    Field("guidance_scale", "number", minimum=1, maximum=20, default=7.5,
          rules=("guidance_scale.range",), ledger=("guidance-type",)),
    Field("algorithm_type", "enum", enum=("none", "dpmsolver+++"), default="none",
          aliases=MappingProxyType({"no": "none"}), rules=("algorithm_type.enum",),
          ledger=("algorithm-type",)),
    Field("vae", "string", ledger=("nullable",)),
    Field("embeddings_model", "string"),
    Field("lora_model", "id_list", ledger=("lora-lists",)),
    Field("lora_strength", "strength_list", minimum=0.1, maximum=1,
          rules=("lora_strength.range", "lora.count"), ledger=("lora-strength-type",
                                                               "lora-lists")),
    Field("upscale", "upscale", minimum=1, maximum=3, default=1, rules=("upscale.range",),
          ledger=("upscale",)),
    Field("clip_skip", "integer", minimum=1, maximum=8, default=1, rules=("clip_skip.range",),
          ledger=("clip-skip-default",)),
    Field("scheduler", "enum", enum=SCHEDULERS, default="UniPCMultistepScheduler",
          rules=("scheduler.enum",)),
    Field("ip_adapter_id", "enum", enum=IP_ADAPTER_IDS, rules=("ip_adapter_id.enum",)),
    Field("ip_adapter_scale", "number", minimum=0, maximum=1, default=0.6,
          rules=("ip_adapter_scale.range",)),
    Field("ip_adapter_image", "url"),
    Field("webhook", "url"),
    Field("track_id", "track_id", ledger=("ids",)),
)

#: v4 has the same parameters with its own step cap.
_V4_STEPS_CAP = 50

V4_FIELDS: tuple[Field, ...] = tuple(
    replace(f, cap=_V4_STEPS_CAP) if f.name == "num_inference_steps" else f for f in V6_FIELDS
)

#: Generation endpoints and the fields each accepts.
GENERATION_FIELDS: Mapping[str, tuple[Field, ...]] = MappingProxyType({
    V6: V6_FIELDS,
    V4: V4_FIELDS,
})
