"""Realtime text to image: its OpenAPI document and its two pages (docs v2), and what the
SDKs send to it."""

from spec.authoring._facts import Fact, Source
from spec.endpoints import REALTIME

_DOCS = "vendor-docs-2026/"

OPENAPI = Source(
    id="realtime-openapi",
    title="realtime OpenAPI document (vendor, 6.0.0)",
    url=_DOCS + "docs-v2_image-generation_realtime-stable-diffusion_openapi.json",
    endpoint=REALTIME,
    params={
        "key": Fact(type="string", required=True),
        "prompt": Fact(type="string", required=True),
        "width": Fact(type="integer", default=512, maximum=1024),
        "height": Fact(type="integer", default=512, maximum=1024),
        "samples": Fact(type="integer", default=1, maximum=4),
        "instant_response": Fact(type="boolean", default=False),
        "base64": Fact(type="boolean", default=False),
    },
    claims={
        "model_id": "none: the request has no model_id",
        "safety_checker_default": False,
        "fetch": "POST /api/v6/realtime/fetch/{id} with {key}; 404 for an unknown id",
        "error_statuses": (400, 401, 404, 500),
        "proxy_links_type": "array",
        "response_id_type": "integer",
        "instant_response": "queue at once instead of waiting for the image",
    },
)

PAGES = Source(
    id="realtime-pages",
    title="realtime text-to-image and fetch pages (docs v2)",
    url=_DOCS + "docs-v2_image-generation_realtime-stable-diffusion_text-to-image.mdx",
    endpoint=REALTIME,
    params={},
    examples=({"key": "K", "prompt": "P", "negative_prompt": "N", "width": "512",
               "height": "512", "safety_checker": False, "seed": None, "samples": 1,
               "base64": False, "webhook": None, "track_id": None},),
    claims={
        "fetch_body": "{key}; the id in the path only",
        "sdk_only_fields": ("num_inference_steps", "guidance_scale", "strength", "init_image"),
        "sdk_ranges": "one SDK validates width/height 64..2048, samples up to 10, steps up "
                      "to 150 (no vendor page states these)",
    },
)
