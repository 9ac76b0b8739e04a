"""The endpoint paths, stated once: the routes rendered into `x-contract` come from here.

Adding an endpoint means adding it here (and its fields to `spec/authoring/_fields.py`); the
runtime reader (`spec.contract()`) then routes it from the regenerated document. These
constants are for code that needs a path at import time without reading the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

V6 = "/api/v6/images/text2img"
V4 = "/api/v4/dreambooth"
#: The current version (no page of its own: inferred from the official CLI and SDK, see the
#: ledger's `v7-params`).
V7 = "/api/v7/images/text-to-image"
#: Realtime text to image (no model_id).
REALTIME = "/api/v6/realtime/text2img"
#: The former brand's v3 endpoints: text to image (no model_id) and dreambooth.
V3 = "/api/v3/text2img"
V3_DREAMBOOTH = "/api/v3/dreambooth"

#: Generation endpoints, in the order the document lists them.
GENERATION_PATHS: tuple[str, ...] = (V6, V4, V7, REALTIME, V3, V3_DREAMBOOTH)

#: Generation endpoints whose jobs are one family: a fetch of one finds the other's jobs
#: (v3 and v4 dreambooth share their fetch paths). Every other endpoint is its own family.
JOB_FAMILIES: Mapping[str, str] = MappingProxyType({V3_DREAMBOOTH: V4})

#: Endpoints without a `model_id` parameter, and the model their answers name instead.
FIXED_MODELS: Mapping[str, str] = MappingProxyType({
    REALTIME: "realtime",
    V3: "runwayml/stable-diffusion-v1-5",
})

#: Fetch template -> (the generation endpoint whose jobs it fetches, where the id travels:
#: "path" for `{id}` in the path, "body" for `request_id`). For each generation endpoint the
#: first "path" template is the one a `fetch_result` URL names.
FETCH_FORMS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "/api/v6/images/fetch": (V6, "body"),
    "/api/v6/images/fetch/{id}": (V6, "path"),
    "/api/v4/dreambooth/fetch": (V4, "body"),
    "/api/v4/dreambooth/fetch/{id}": (V4, "path"),
    "/api/v7/images/fetch/{id}": (V7, "path"),
    "/api/v6/realtime/fetch/{id}": (REALTIME, "path"),
    "/api/v3/fetch/{id}": (V3, "path"),
    "/api/v3/dreambooth/fetch/{id}": (V3_DREAMBOOTH, "path"),
})
FETCH_PATHS: tuple[str, ...] = tuple(FETCH_FORMS)

#: Generated images are served under this prefix (on the mock's own origin).
IMAGES_PREFIX = "/generations/"
IMAGE_TEMPLATE = IMAGES_PREFIX + "{file}"
