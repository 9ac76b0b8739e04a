"""The request bodies the benchmarks send, stated once.

- `TYPED`: JSON-typed values only (numbers as numbers, flags as booleans): the body both Prism
  (on the vendor's own OpenAPI) and the mock accept.
- `REALISTIC`: what SDKs and the documentation's own examples send: numbers and flags as
  strings ("512", "7.5", "yes"), three LoRAs with their strengths, `webhook`/`track_id` null.
  Prism rejects it (its schema types the numbers); the mock must take it on its fast path.
"""

from __future__ import annotations

import json
from typing import Any

PROMPT = "ultra realistic close up portrait of a lighthouse at dusk"

TYPED: dict[str, Any] = {
    "key": "bench-key", "model_id": "midjourney", "prompt": PROMPT,
    "negative_prompt": "blurry, low quality", "width": 512, "height": 512, "samples": 1,
    "num_inference_steps": 20, "safety_checker": False, "seed": 12345,
    "guidance_scale": 7.5, "scheduler": "UniPCMultistepScheduler",
    "lora_model": "contrast-fix,yae-miko-genshin", "clip_skip": 2, "base64": False,
    "temp": False, "enhance_prompt": False, "multi_lingual": False, "upscale": False,
}

REALISTIC: dict[str, Any] = {
    "key": "bench-key", "model_id": "midjourney", "prompt": PROMPT,
    "negative_prompt": "blurry, low quality, extra fingers, watermark",
    "width": "512", "height": "512", "samples": "1", "num_inference_steps": "20",
    "safety_checker": "no", "safety_checker_type": "sensitive_content_text",
    "enhance_prompt": "yes", "seed": "12345", "guidance_scale": "7.5",
    "multi_lingual": "no", "panorama": "no", "self_attention": "no", "upscale": "no",
    "embeddings_model": None, "lora_model": "contrast-fix,yae-miko-genshin,more-details",
    "lora_strength": "0.6,0.7,0.45", "tomesd": "yes", "clip_skip": "2",
    "use_karras_sigmas": "yes", "vae": None, "scheduler": "UniPCMultistepScheduler",
    "webhook": None, "track_id": None, "base64": "no", "temp": "no",
}

BODIES = {"typed": TYPED, "realistic": REALISTIC}


def encoded(name: str) -> bytes:
    """The body as the benchmarks send it (compact JSON)."""
    return json.dumps(BODIES[name], separators=(",", ":")).encode()
