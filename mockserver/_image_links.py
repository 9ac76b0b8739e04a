"""A job's image link answered (`Engine.image`): the PNG or its base64 text, while the job
and its link live."""

from __future__ import annotations

import base64
import re

from mockserver.images import ImageCache
from mockserver.jobs import Store
from mockserver.response import MockResponse, json_response

_IMAGE = re.compile(r"^(\d{1,18})-(\d{1,2})-([0-9a-f]{10})\.(png|base64)$")


def image_answer(store: Store, images: ImageCache, now: float, method: str,
                 name: str) -> MockResponse:
    """The answer to `method` on the image named `name` at `now`."""
    if method not in ("GET", "HEAD"):
        return json_response(405, {"status": "error", "message": "use GET for images"})
    match = _IMAGE.match(name)
    job = store.get(int(match[1]), now) if match else None
    if match is None or job is None or job.failure is not None or job.digest != match[3] or \
            int(match[2]) >= job.samples or (match[4] == "base64") != job.base64:
        return json_response(404, {"status": "error", "message": "unknown or expired image"})
    if now < job.due or (job.expires is not None and now >= job.expires):
        why = "not ready yet" if now < job.due else "this temporary link has expired"
        return json_response(404, {"status": "error", "message": why})
    png = images.png(job.seed, job.prompt, int(match[2]), job.width, job.height, job.upscale)
    if job.base64:
        data, kind = base64.b64encode(png), "text/plain; charset=us-ascii"
    else:
        data, kind = png, "image/png"
    headers = {"content-type": kind, "cache-control": "public, max-age=3600"}
    return MockResponse(200, headers, b"" if method == "HEAD" else data)
