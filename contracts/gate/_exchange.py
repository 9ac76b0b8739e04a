"""Turn one `Case` into an `Exchange`: send it, follow a queued job, download its images."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import httpx

import spec
from contracts.checks import Exchange, Fetch, Image, Reply
from contracts.gate._target import Target
from contracts.rules import GENERATION
from contracts.strategies import Case
from contracts.vocabulary import KEY


@cache
def _fetch_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile("^" + re.escape(p).replace(r"\{id\}", "([^/]+)") + "$"), p)
                 for p in spec.contract().fetch)


def _fetch_form(case: Case, first: Mapping[str, Any]) -> tuple[str, str]:
    """(fetch endpoint, request id) for a queued job."""
    job_id = first.get("id")
    url = first.get("fetch_result")
    if case.fetch_via is None and isinstance(url, str):
        path = httpx.URL(url).path
        for pattern, template in _fetch_patterns():
            m = pattern.match(path)
            if m and template in spec.contract().fetch:
                return template, m.group(1) if m.groups() else str(job_id)
    if case.fetch_via is not None:
        return case.fetch_via, str(job_id)
    body_forms = [p for p, (gen, where) in spec.contract().fetch.items()
                  if gen == case.endpoint and where == "body"]
    return body_forms[0], str(job_id)


def _eta(body: Any, default: float) -> float:
    try:
        return max(0.0, float(body.get("eta", default)))
    except (TypeError, ValueError, AttributeError):
        return default


def follow(target: Target, case: Case, first: Reply) -> tuple[Fetch, ...]:
    """Fetch a queued job until it leaves `processing`, within the job's wait and fetch caps."""
    body = first.body
    assert isinstance(body, Mapping)
    endpoint, job_id = _fetch_form(case, body)
    by_path = "{id}" in endpoint
    fetch_body: dict[str, Any] = {"key": KEY} if by_path else {"key": KEY, "request_id": job_id}
    path = endpoint.replace("{id}", job_id)
    fetches: list[Fetch] = []
    waited, wait = 0.0, _eta(body, 1.0)
    backoff = target.backoff
    for i in range(backoff.fetches):
        wait = min(wait, backoff.cap)
        if waited + wait > backoff.job_wait or target.budget.left == 0:
            break
        target.pause(wait)
        waited += wait
        reply = target.post(path, fetch_body)
        fetches.append(Fetch(endpoint, fetch_body, reply, job_id if by_path else None))
        if reply.status_field != "processing":
            break
        wait = max(_eta(reply.body, 0.0), backoff.base * 2 ** i)
    return tuple(fetches)


def _image(target: Target, url: str) -> Image:
    status, content, ctype, error = target.get(url)
    if error is not None or status != 200:
        return Image(url, status, None, error or f"HTTP {status}")
    try:
        from PIL import Image as PILImage

        if not content.startswith(b"\x89PNG") and ("text" in ctype or url.endswith(".base64")):
            content = base64.b64decode(content.strip())
        with PILImage.open(io.BytesIO(content)) as img:
            return Image(url, status, (img.width, img.height))
    except Exception as exc:
        return Image(url, status, None, f"not an image: {type(exc).__name__}")


def execute(target: Target, case: Case, *, images: bool = False) -> Exchange:
    """Send `case`; follow it if queued; download its first image when `images`."""
    path = case.endpoint.replace("{id}", case.path_id or "")
    reply = target.post(path, case.body, prefer=case.prefer)
    fetches: tuple[Fetch, ...] = ()
    if case.endpoint in GENERATION and reply.status_field == "processing" \
            and isinstance(reply.body, Mapping):
        fetches = follow(target, case, reply)
    found: tuple[Image, ...] = ()
    last = fetches[-1].reply if fetches else reply
    if (images or case.images) and last.status_field == "success" and target.budget.left:
        output = last.body.get("output")
        if isinstance(output, list) and output and isinstance(output[0], str):
            found = (_image(target, output[0]),)
    return Exchange(case.endpoint, case.body, reply, case.path_id, fetches, found, case.rule)
