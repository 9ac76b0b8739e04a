"""The vendor's OpenAPI 3.1 document for `POST /text2img` (served from the multi-LoRA page)."""

from spec.authoring._facts import Fact, Source
from spec.authoring.sources._shared import IP_ADAPTER_IDS, SAFETY_CHECKER_TYPES, SCHEDULERS
from spec.endpoints import V6

SOURCE = Source(
    id="v6-openapi",
    title="v6 OpenAPI document (vendor, 6.0.0)",
    url="https://docs.modelslab.com/image-generation/community-models/multi-lora#openapi",
    endpoint=V6,
    params={
        "key": Fact(type="string", required=True),
        "model_id": Fact(type="string", required=True),
        "prompt": Fact(type="string", required=True),
        "negative_prompt": Fact(type="string"),
        "multi_lingual": Fact(type="boolean", default=False),
        "upscale": Fact(type="boolean", default=False),
        "highres_fix": Fact(type="boolean", default=False),
        # Its default is the string 'yes' on a boolean: the default breaks its own schema.
        "enhance_prompt": Fact(type="boolean", default="yes"),
        "width": Fact(type="integer", default=512, maximum=1024),
        "height": Fact(type="integer", default=512, maximum=1024),
        "samples": Fact(type="integer", default=1, maximum=4),
        # Default 31 above its own maximum 20.
        "num_inference_steps": Fact(type="integer", default=31, minimum=1, maximum=20),
        "safety_checker": Fact(type="boolean", default=False),
        "safety_checker_type": Fact(type="enum", enum=SAFETY_CHECKER_TYPES,
                                    default="sensitive_content_text"),
        "seed": Fact(type="integer", nullable=True),
        "guidance_scale": Fact(type="number", default=7.5, minimum=1, maximum=20),
        "use_karras_sigmas": Fact(type="boolean", default=True),
        "algorithm_type": Fact(type="enum", enum=("none", "dpmsolver+++"), default="none"),
        # Marked with OpenAPI 3.0's `nullable`, which 3.1 no longer has.
        "vae": Fact(type="string", nullable="3.0-keyword"),
        "lora_strength": Fact(type="integer", minimum=0.1, maximum=1),
        "lora_model": Fact(type="id-list"),
        "clip_skip": Fact(type="integer", default=2, minimum=1, maximum=8),
        "base64": Fact(type="boolean", default=False),
        "temp": Fact(type="boolean", default=False),
        "webhook": Fact(type="url"),
        "track_id": Fact(type="string"),
        "ip_adapter_id": Fact(type="enum", enum=IP_ADAPTER_IDS),
        "ip_adapter_scale": Fact(type="number", minimum=0, maximum=1),
        "ip_adapter_image": Fact(type="url"),
        "scheduler": Fact(type="enum", enum=SCHEDULERS),
    },
    claims={
        "response_id_type": "integer",
        "success_fields": ("status", "generationTime", "id", "output", "proxy_links", "meta",
                           "nsfw_content_detected", "webhook_status", "tip"),
        "processing_fields": ("status", "tip", "tip_1", "eta", "message", "webhook_status",
                              "fetch_result", "id", "output", "meta", "future_links"),
        "error_fields": ("status", "message"),
        "error_message_type": "string",
        "error_http_statuses": (200, 400, 401, 500),
        "statuses": ("success", "processing", "error"),
    },
)
