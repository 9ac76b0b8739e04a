"""Checks that an answer is served the way it was asked for and that bad input never crashes
the backend: `images.base64` (links of a `base64: yes` job are base64 text) and
`invalid.refused` (an invalid body is refused, not answered with a 5xx).

`invalid.refused` passes here on every properly refused invalid body; its violation needs
evidence one exchange cannot hold (the same invalid body crashing again while a valid body
succeeds), so the gate records it after confirming (`contracts.gate._crash`).
"""

from __future__ import annotations

from contracts.checks._guards import kind, only_generation, only_with_images, parsed, request_of
from contracts.checks._model import Exchange, Outcome, not_applicable, passed, violated
from contracts.reply import REJECTED
from contracts.rules import IMAGES_BASE64, INVALID_REFUSED, Rule
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
