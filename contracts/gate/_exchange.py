"""Turn one `Case` into an `Exchange`: send it, follow a queued job, download its images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.checks import Exchange, Fetch, Image
from contracts.client import Target
from contracts.rules import GENERATION
from contracts.strategies import Case
from contracts.vocabulary import WEBHOOK
from contracts.webhooks import WebhookReceiver

#: Seconds the gate waits for a job's webhook after its final answer.
WEBHOOK_WAIT = 3.0


def needs_webhook(case: Case) -> bool:
    """The case asks for a webhook (its body holds the receiver placeholder)."""
    return isinstance(case.body, Mapping) and case.body.get("webhook") == WEBHOOK


def execute(target: Target, case: Case, *, images: bool = False,
            receiver: WebhookReceiver | None = None, wait: float = WEBHOOK_WAIT) -> Exchange:
    """Send `case`; follow it if queued; download its first image when `images`; with a
    `receiver`, put its URL in the body's webhook and collect what it receives."""
    path = case.endpoint.replace("{id}", case.path_id or "")
    body: Any = case.body
    before = 0
    if receiver is not None and needs_webhook(case):
        body = {**case.body, "webhook": receiver.url}
        before = len(receiver.bodies)
    reply = target.post(path, body, prefer=case.prefer)
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
    hooks: tuple[Any, ...] | None = None
    if receiver is not None and needs_webhook(case):
        receiver.arrived(before + 1, wait)
        hooks = tuple(receiver.bodies[before:])
    return Exchange(case.endpoint, case.body, reply, case.path_id, fetches, found, case.rule,
                    webhooks=hooks)
