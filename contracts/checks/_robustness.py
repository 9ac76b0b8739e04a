"""Checks that an answer is served the way it was asked for and that bad input never crashes
the backend: `images.base64` (links of a `base64: yes` job are base64 text) and
`invalid.refused` (an invalid body is refused, not answered with a 5xx), and the webhook
rules (`webhook.delivery`, `webhook.track_id`: judged when the gate's receiver listened).

`invalid.refused` passes here on every properly refused invalid body; its violation needs
evidence one exchange cannot hold (the same invalid body crashing again while a valid body
succeeds), so the gate records it after confirming (`contracts.gate._crash`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.checks._guards import kind, only_generation, only_with_images, parsed, request_of
from contracts.checks._model import Exchange, Outcome, not_applicable, passed, violated
from contracts.reply import ACCEPTED, REJECTED
from contracts.rules import (
    IMAGES_BASE64,
    INVALID_REFUSED,
    WEBHOOK_DELIVERY,
    WEBHOOK_TRACK_ID,
    Rule,
)
from contracts.vocabulary import INSIDE, OUTSIDE


@IMAGES_BASE64.check(sides=(INSIDE, OUTSIDE))
@only_generation
@only_with_images
def _images_base64(r: Rule, ex: Exchange) -> Outcome:
    """With `base64: yes` each link serves base64 text; without it, the image itself."""
    wanted = "base64" if request_of(ex).flags.get("base64") else "png"
    side = INSIDE if wanted == "base64" else OUTSIDE
    read = [i for i in ex.images if i.encoding]
    for image in read:
        if image.encoding != wanted:
            served = "base64 text" if image.encoding == "base64" else "raw PNG bytes"
            return violated(r, side, f"{'base64 text' if wanted == 'base64' else 'raw PNG'} "
                            f"at {image.url}", served)
    return passed(r, side) if read else not_applicable(r, "no image read")


@INVALID_REFUSED.check(sides=(OUTSIDE,))
def _invalid_refused(r: Rule, ex: Exchange) -> Outcome:
    """An invalid body (by `contracts.parse`) answered with a proper refusal."""
    if parsed(ex).ok:
        return not_applicable(r, "a valid body")
    if kind(ex) != REJECTED:
        return not_applicable(r, "not refused (a fault, or judged by the field's rule)")
    return passed(r, OUTSIDE)


def _sent(ex: Exchange) -> Mapping[str, Any] | None:
    """The body, when it asked for a webhook and a receiver was listening for it."""
    if ex.webhooks is None or not isinstance(ex.body, Mapping) or not ex.body.get("webhook"):
        return None
    return ex.body


@WEBHOOK_DELIVERY.check(sides=(INSIDE,))
@only_generation
def _webhook_delivery(r: Rule, ex: Exchange) -> Outcome:
    """The receiver got the job's final success body (same id as the answer)."""
    body = _sent(ex)
    if body is None or kind(ex) != ACCEPTED:
        return not_applicable(r, "no webhook asked for, or no receiver")
    job_id = ex.reply.body.get("id") if isinstance(ex.reply.body, Mapping) else None
    if not ex.webhooks:
        return violated(r, INSIDE, "a POST to the webhook URL when the job ended",
                        "no webhook arrived")
    hook = ex.webhooks[0]
    if not isinstance(hook, Mapping) or hook.get("status") != "success" \
            or (job_id is not None and str(hook.get("id")) != str(job_id)):
        shown = {k: hook.get(k) for k in ("status", "id")} if isinstance(hook, Mapping) \
            else str(hook)[:100]
        return violated(r, INSIDE, f"a success body with id {job_id}", f"{shown}")
    return passed(r, INSIDE)


@WEBHOOK_TRACK_ID.check(sides=(INSIDE,), defers_to=(WEBHOOK_DELIVERY,))
@only_generation
def _webhook_track_id(r: Rule, ex: Exchange) -> Outcome:
    """The webhook body echoes the `track_id` the request sent."""
    body = _sent(ex)
    if body is None or "track_id" not in body or not ex.webhooks \
            or not isinstance(ex.webhooks[0], Mapping):
        return not_applicable(r, "no webhook body to read")
    got = ex.webhooks[0].get("track_id")
    if str(got) != str(body["track_id"]):
        return violated(r, INSIDE, f"track_id {body['track_id']!r}",
                        "no track_id" if got is None else f"track_id {got!r}")
    return passed(r, INSIDE)
