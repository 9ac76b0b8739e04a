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

#: Generation endpoints, in the order the document lists them.
GENERATION_PATHS: tuple[str, ...] = (V6, V4)

#: Fetch template -> (the generation endpoint whose jobs it fetches, where the id travels:
#: "path" for `{id}` in the path, "body" for `request_id`). For each generation endpoint the
#: first "path" template is the one a `fetch_result` URL names.
FETCH_FORMS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "/api/v6/images/fetch": (V6, "body"),
    "/api/v6/images/fetch/{id}": (V6, "path"),
    "/api/v4/dreambooth/fetch": (V4, "body"),
    "/api/v4/dreambooth/fetch/{id}": (V4, "path"),
    "/api/v3/dreambooth/fetch/{id}": (V4, "path"),
})
FETCH_PATHS: tuple[str, ...] = tuple(FETCH_FORMS)

#: Generated images are served under this prefix (on the mock's own origin).
IMAGES_PREFIX = "/generations/"
IMAGE_TEMPLATE = IMAGES_PREFIX + "{file}"
