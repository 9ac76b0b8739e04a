"""The newer vendor pages (docs v2): the error-code catalogue, webhooks, the flux page and
OpenAPI document, and the community-models OpenAPI document.

`response_examples` record the shape of every response body the pages show (keys, types and
structure; free text and links replaced by ours), so a test can hold the response schema to
them.
"""

from spec.authoring._facts import Fact, Source
from spec.endpoints import V6

_DOCS = "vendor-docs-2026/"
_LINK = "https://cdn.example/generations/a.png"

ERROR_CODES = Source(
    id="error-codes-page",
    title="error-code catalogue (docs v2)",
    url=_DOCS + "docs-v2_error-codes.mdx",
    endpoint=V6,
    params={
        "width": Fact(minimum=256, maximum=1024, multiple_of=8),
        "height": Fact(minimum=256, maximum=1024, multiple_of=8),
        "samples": Fact(minimum=1, maximum=4),
        "guidance_scale": Fact(minimum=1, maximum=20),
    },
    claims={
        "http_statuses": (400, 401, 402, 403, 429, 500, 503),
        "not_listed": (404, 413, 422),
        "messages": ("Invalid API key",
                     "Insufficient credits. Please add more credits to continue.",
                     "This feature requires a premium subscription",
                     "Rate limit exceeded. Maximum 5 queued requests allowed.",
                     "Internal server error. Please try again.",
                     "Service temporarily unavailable. Please try again later.",
                     "Model not found: <model_id>"),
        "validation_message_type": "a plain string per problem (\"prompt is required\")",
        "retry_after": "429 bodies carry retry_after, integer seconds; no Retry-After header "
                       "is mentioned",
        "unknown_model_status": "not stated (message only)",
        "response_examples": (
            {"status": "error", "message": "prompt is required"},
            {"status": "error", "message": "Invalid API key"},
            {"status": "error", "message": "Rate limit exceeded.", "retry_after": 30},
            {"status": "processing", "id": "abc-1", "eta": 30, "message": "M"},
        ),
    },
)

WEBHOOKS = Source(
    id="webhooks-page",
    title="webhooks page (docs v2)",
    url=_DOCS + "docs-v2_webhooks.mdx",
    endpoint=V6,
    params={},
    claims={
        "failure_payload": ("status failed", "id", "message", "track_id"),
        "success_meta": ("prompt", "model_id", "width", "height"),
        "id_type": "string",
        "delivery": "best effort for generations (no retry stated); HTTPS; 2xx within 30 s",
        "response_examples": (
            {"status": "success", "id": "abc-1", "output": [_LINK], "generationTime": 45.2,
             "track_id": "t-1", "meta": {"prompt": "P", "model_id": "m", "width": 512,
                                         "height": 512}},
            {"status": "failed", "id": "abc-1", "message": "M", "track_id": "t-1"},
        ),
    },
)

FLUX_PAGE = Source(
    id="flux-page",
    title="flux text-to-image page (docs v2)",
    url=_DOCS + "docs-v2_image-generation_flux_flux-text-to-image.mdx",
    endpoint=V6,
    params={
        "num_inference_steps": Fact(minimum=20, maximum=50, default=30),
        "clip_skip": Fact(minimum=1, maximum=4, default=2),
        "safety_checker": Fact(type="yes/no", default="yes"),
    },
    claims={
        "proxy_links_type": "object of index -> link",
        "meta_keys": ("prompt", "model_id", "width", "height", "seed"),
        "processing_fields": ("status", "id", "eta", "message"),
        "response_examples": (
            {"status": "success", "generationTime": 2.45, "id": 12345678, "output": [_LINK],
             "proxy_links": {"0": _LINK}, "meta": {"prompt": "P", "model_id": "flux",
                                                   "width": 512, "height": 512, "seed": 1}},
            {"status": "processing", "id": 12345678, "eta": 10, "message": "M"},
            {"status": "error", "message": "prompt is required"},
        ),
    },
)

FLUX_OPENAPI = Source(
    id="flux-openapi",
    title="flux OpenAPI document (vendor, 6.0.0; docs v2)",
    url=_DOCS + "docs-v2_image-generation_flux_openapi.json",
    endpoint=V6,
    params={
        "num_inference_steps": Fact(minimum=1, maximum=50, default=31),
        "clip_skip": Fact(minimum=1, maximum=8, default=2),
        "safety_checker": Fact(type="boolean", default=False),
    },
    claims={
        "proxy_links_type": "array",
        "drift_report": "spec/drift-flux-openapi.txt",
    },
)

COMMUNITY_OPENAPI = Source(
    id="community-openapi-2026",
    title="community-models OpenAPI document (vendor, 6.0.0; docs v2)",
    url=_DOCS + "docs-v2_image-generation_community-models_openapi.json",
    endpoint=V6,
    params={},
    claims={
        "proxy_links_type": "array",
        "fetch_statuses": (200, 400, 401, 404, 500),
        "drift_report": "spec/drift-community-openapi.txt",
    },
)
