"""The former brand's v3 pages (2024 scrape) and its client package, which sends every
parameter in the query string and the key in a header."""

from spec.authoring._facts import Fact, Source
from spec.endpoints import V3, V3_DREAMBOOTH

_DOCS = "vendor-docs-2026/"

V3_TEXT2IMG = Source(
    id="v3-text2img-page",
    title="v3 text2img and v3 fetch pages (2024 scrape)",
    url=_DOCS + "scrape-2024_stable-diffusion-api-text2img.md",
    endpoint=V3,
    params={
        "width": Fact(maximum=1024),
        "height": Fact(maximum=1024),
        "samples": Fact(maximum=4),
        "num_inference_steps": Fact(allowed=(21, 31, 41, 51)),
        "guidance_scale": Fact(minimum=1, maximum=20),
    },
    examples=({"key": "K", "prompt": "P", "negative_prompt": None, "width": "512",
               "height": "512", "samples": "1", "num_inference_steps": "20",
               "guidance_scale": 7.5, "safety_checker": "no", "seed": None, "webhook": None,
               "track_id": None},),
    claims={
        "model_id": "none; meta.model names runwayml/stable-diffusion-v1-5",
        "fetch": "POST /api/v3/fetch/{id} with {key}",
        "key_transport": "body",
    },
)

V3_DREAMBOOTH_PAGE = Source(
    id="v3-dreambooth-page",
    title="v3 dreambooth text2img and its fetch page (2024 scrape)",
    url=_DOCS + "scrape-2024_community-models-api-dreamboothtext2img.md",
    endpoint=V3_DREAMBOOTH,
    params={
        "model_id": Fact(required=True),
        "num_inference_steps": Fact(minimum=1, maximum=50),
        "samples": Fact(maximum=4),
    },
    examples=({"key": "K", "model_id": "synthwave-diffusion", "prompt": "P",
               "width": "512", "height": "512", "samples": "1",
               "num_inference_steps": "30", "scheduler": "UniPCMultistepScheduler"},),
    claims={
        "fetch": "POST /api/v3/dreambooth/fetch/{id} with {key}",
        "processing_fields": ("status", "tip", "eta", "messege", "fetch_result", "id",
                              "output", "meta"),
    },
)

OLD_CLIENT = Source(
    id="stablediffusionapi-client",
    title="the former brand's Python client StableDiffusionAPI 0.0.5 (PyPI)",
    url="https://pypi.org/project/StableDiffusionAPI/",
    endpoint=V3,
    params={},
    claims={
        "transport": "every parameter in the query string, an empty body without a content "
                     "type, the key in a `key` header",
        "fetch": "POST to the absolute fetch_result URL, same header, empty body",
    },
)
