"""Turn one `Case` into an `Exchange`: send it, follow a queued job, download its images."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.checks import Exchange, Fetch, Image
from contracts.client import Target
from contracts.rules import GENERATION
from contracts.strategies import Case


def execute(target: Target, case: Case, *, images: bool = False) -> Exchange:
    """Send `case`; follow it if queued; download its first image when `images`."""
    path = case.endpoint.replace("{id}", case.path_id or "")
    reply = target.post(path, case.body, prefer=case.prefer)
    fetches: tuple[Fetch, ...] = ()
    if case.endpoint in GENERATION and reply.status_field == "processing" \
            and isinstance(reply.body, Mapping):
        fetches = target.follow(reply, case.endpoint, via=case.fetch_via)
    found: tuple[Image, ...] = ()
    last = fetches[-1].reply if fetches else reply
    if (images or case.images) and last.status_field == "success" \
            and not target.budget.exhausted:
        output = last.body.get("output")
        if isinstance(output, list) and output and isinstance(output[0], str):
            found = (target.download(output[0]),)
    return Exchange(case.endpoint, case.body, reply, case.path_id, fetches, found, case.rule)
