"""The v6 multi-LoRA page's own prose and example (its OpenAPI is `v6_openapi`)."""

from spec.authoring._facts import Fact, Source
from spec.authoring.sources._shared import NEGATIVE, PROMPT
from spec.endpoints import V6

SOURCE = Source(
    id="v6-multi-lora-page",
    title="v6 community models: multi LoRA (docs page, example body)",
    url="https://docs.modelslab.com/image-generation/community-models/multi-lora",
    endpoint=V6,
    params={
        "lora_model": Fact(type="id-list"),
        "lora_strength": Fact(type="strength-list"),
    },
    examples=(
        {
            "key": "your_api_key", "model_id": "f222-diffusion", "prompt": PROMPT,
            "negative_prompt": NEGATIVE, "width": "512", "height": "512", "samples": "1",
            "num_inference_steps": "31", "safety_checker": "yes", "seed": None,
            "guidance_scale": 7.5, "upscale": "no",
            "lora_model": "teddy-jacket-v1-0,a-simple-china-dress-v6-0",
            "lora_strength": "0.45,0.55", "scheduler": "UniPCMultistepScheduler",
            "webhook": None, "track_id": None,
        },
    ),
)
