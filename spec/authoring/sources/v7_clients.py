"""v7 text to image has no page: what the model-selection guide, the official CLI and the
official Python SDK's provider classes show of it (each a source, so the ledger can say which
fact was inferred from which client)."""

from spec.authoring._facts import Fact, Source
from spec.endpoints import V7

_DOCS = "vendor-docs-2026/"

GUIDE = Source(
    id="model-selection-guide",
    title="model-selection guide (docs v2; v7 examples and model-id tables)",
    url=_DOCS + "docs-v2_guides_model-selection.mdx",
    endpoint=V7,
    params={
        "model_id": Fact(type="string", required=True),
        "width": Fact(type="integer"),
        "height": Fact(type="integer"),
        "samples": Fact(type="integer", default=1),
    },
    examples=({"key": "K", "model_id": "flux", "prompt": "P", "width": 1024, "height": 1024,
               "samples": 1},),
    claims={
        "image_models": ("flux", "midjourney", "sdxl", "imagen-3", "imagen-4"),
        "success_shape": "status success, output[0] the image link",
        "v7_fetch_documented": "only for video: processing answers carry an id, polled at "
                               "/api/v7/video-fusion/fetch/{id}",
    },
)

CLI = Source(
    id="modelslab-cli",
    title="official CLI modelslab-cli 0.2.2 (PyPI; observed against a local stub)",
    url="https://pypi.org/project/modelslab-cli/",
    endpoint=V7,
    params={
        "model_id": Fact(required=False),
        "width": Fact(type="integer", default=1024),
        "height": Fact(type="integer", default=1024),
        "samples": Fact(type="integer", default=1),
        "guidance_scale": Fact(type="number"),
    },
    examples=({"key": "K", "prompt": "P", "width": 1024, "height": 1024, "samples": 1},),
    claims={
        "sent_fields": ("key", "model_id (only with --model)", "prompt", "negative_prompt",
                        "width", "height", "samples", "num_inference_steps",
                        "guidance_scale", "seed", "scheduler", "webhook"),
        "key_transport": "a `key` header and the body's key, both (body key \"\" and no "
                         "header without a configured key)",
        "fetch": "POST /api/v7/images/fetch/{id} with {key}",
        "done_when": "status success, or a non-empty output list, or an output_url string",
        "links_read": ("output (list only)", "output_url", "future_links"),
        "retry_after_header": "honours a Retry-After header on 429; ignores a body retry_after",
        "failed_status": "status failed or error on fetch ends with the message",
    },
)

PY_PROVIDERS = Source(
    id="modelslab-py-providers",
    title="official Python SDK modelslab-py 0.2.3, provider classes (Imagen, Seedream, ...)",
    url="https://pypi.org/project/modelslab-py/",
    endpoint=V7,
    params={
        "model_id": Fact(type="string", required=True),
        "aspect_ratio": Fact(type="enum", enum=("1:1", "3:4", "4:3", "9:16", "16:9", "3:2",
                                                "2:3", "21:9")),
        "width": Fact(type="integer", minimum=512, maximum=1024),
        "height": Fact(type="integer", minimum=512, maximum=1024),
    },
    claims={
        "models": ("imagen-4", "imagen-3", "imagen-4.0-fast-generate", "imagen-4.0-ultra",
                   "nano-banana-t2i", "nano-banana-pro", "seedream-t2i", "seedream-4",
                   "seedream-4.5", "flux-2-pro"),
        "v6_models": ("flux-pro-1752000026", "flux-pro-1.1", "flux-pro-1.1-ultra"),
        "size_parameter": "none: no provider sends `size` for images",
        "fetch": "none that works: the providers' inherited fetch has no base URL",
    },
)
