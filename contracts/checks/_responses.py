"""Response rules: shape, errors, the key, output counts, the processing lifecycle, unknown
fetches, flux warnings and image sizes (the echoes of meta are in `_echoes`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts.checks import _schema
from contracts.checks._guards import (
    LIVE,
    key_is_ours,
    kind,
    live_replies,
    only_accepted,
    only_generation,
    only_our_key,
    only_with_images,
    parsed,
    request_of,
)
from contracts.checks._model import Exchange, Outcome, Reply, not_applicable, passed, violated
from contracts.reply import ACCEPTED, FAULT, REJECTED, is_fault, looks_like_error
from contracts.rules import (
    AUTH_KEY,
    ERROR_SHAPE,
    FETCH_UNKNOWN,
    FLUX_WARNING,
    GENERATION,
    IMAGES_SIZE,
    JOB_FAILED,
    OUTPUT_COUNT,
    PROCESSING_FETCH,
    RESPONSE_SCHEMA,
    Rule,
)
from contracts.vocabulary import INSIDE, INVALID_KEY, OUTSIDE, UNKNOWN_ID


def _replies(ex: Exchange) -> Iterator[tuple[str, str | None, Reply]]:
    """(endpoint, path id, reply) for the answer and each fetch."""
    yield ex.endpoint, ex.path_id, ex.reply
    for f in ex.fetches:
        yield f.endpoint, f.path_id, f.reply


@RESPONSE_SCHEMA.check(defers_to=(ERROR_SHAPE,))
def _response_schema(r: Rule, ex: Exchange) -> Outcome:
    """Every JSON body (the answer and each fetch) matches the authoritative schema."""
    side = None
    for endpoint, path_id, reply in _replies(ex):
        if is_fault(reply):
            continue
        side = side or (INSIDE if reply.status_field in LIVE else OUTSIDE)
        if reply.body is None:
            return violated(r, side, "a JSON body", reply.short())
        for error in _schema.iter_errors(endpoint, reply.status, reply.body, path_id=path_id):
            return violated(r, side, f"a body matching {endpoint} in spec/modelslab.yaml",
                            f"{error} in {reply.short()}")
    return passed(r, side) if side else not_applicable(r, "fault")


def _error_problem(reply: Reply) -> str | None:
    body = reply.body
    if not isinstance(body, Mapping):
        return "an error with no JSON object body"
    if body.get("status") not in ("error", "failed"):
        return f"status {body.get('status')!r} in an error body"
    message = body.get("message", body.get("messege"))
    if isinstance(message, str):
        return None if message else "an empty message"
    if isinstance(message, Mapping) and message and all(
            isinstance(v, list) and all(isinstance(m, str) for m in v) for v in message.values()):
        return None
    return f"message {message!r} (neither a string nor {{field: [messages]}})"


@ERROR_SHAPE.check()
def _error_shape(r: Rule, ex: Exchange) -> Outcome:
    """Errors carry status error/failed and a message; successes never travel as HTTP errors."""
    side = None
    for _, _, reply in _replies(ex):
        if is_fault(reply):
            continue
        if looks_like_error(reply):
            side = side or OUTSIDE
            problem = _error_problem(reply)
            if problem:
                return violated(r, OUTSIDE, '{"status": "error", "message": ...}',
                                f"{problem}: {reply.short()}")
            if not (reply.status == 200 or 400 <= reply.status < 500):
                return violated(r, OUTSIDE, "HTTP 200 (legacy) or 4xx (http mode)",
                                reply.short())
        elif reply.status_field in LIVE:
            side = side or INSIDE
            if not 200 <= reply.status < 300:
                return violated(r, INSIDE, f"HTTP 2xx for status {reply.status_field}",
                                reply.short())
    return passed(r, side) if side else not_applicable(r)


@AUTH_KEY.check()
def _auth_key(r: Rule, ex: Exchange) -> Outcome:
    """A request with an invalid key is refused (and our own key is not)."""
    body = ex.body
    if not isinstance(body, Mapping) or ex.endpoint not in GENERATION:
        return not_applicable(r)
    k = kind(ex)
    if body.get("key") == INVALID_KEY:
        p = parsed(ex)
        if not p.ok or k == FAULT:
            return not_applicable(r)
        if k == ACCEPTED:
            return violated(r, OUTSIDE, "the invalid key refused with an error body",
                            f"it was accepted: {ex.reply.short()}")
        return passed(r, OUTSIDE)
    if key_is_ours(body) and k in (ACCEPTED, REJECTED):
        return passed(r, INSIDE)
    return not_applicable(r)


@OUTPUT_COUNT.check(sides=(INSIDE,))
@only_generation
@only_accepted
def _output_count(r: Rule, ex: Exchange) -> Outcome:
    """`output` (or, while processing, `future_links`) has exactly `samples` links."""
    request = request_of(ex)
    for reply in live_replies(ex):
        body = reply.body
        name = "output" if body["status"] == "success" else "future_links"
        links = body.get(name)
        if not isinstance(links, list) or len(links) != request.samples:
            shown = f"{len(links)} link(s)" if isinstance(links, list) else repr(links)
            return violated(r, INSIDE, f"{request.samples} link(s) in {name}",
                            f"{name}: {shown}")
    return passed(r, INSIDE)


@PROCESSING_FETCH.check(sides=(INSIDE,))
def _processing_fetch(r: Rule, ex: Exchange) -> Outcome:
    """A queued job is fetched to success with the same id and exactly the promised links."""
    first = ex.reply.body
    if ex.endpoint not in GENERATION or ex.reply.status_field != "processing" \
            or not isinstance(first, Mapping):
        return not_applicable(r)
    if first.get("id") is None and not first.get("fetch_result"):
        return violated(r, INSIDE, "an id or fetch_result to fetch the job with",
                        ex.reply.short())
    final = ex.final
    if final is None or is_fault(final) or final.status_field == "processing":
        return not_applicable(r, "not fetched to the end")
    if ex.target is JOB_FAILED:
        return not_applicable(r, "a job asked to fail (job.failed judges it)")
    body = final.body
    if final.status_field != "success" or not isinstance(body, Mapping):
        return violated(r, INSIDE, "the job fetched to success", final.short())
    if first.get("id") is not None and str(body.get("id")) != str(first.get("id")):
        return violated(r, INSIDE, f"id {first.get('id')!r}", f"id {body.get('id')!r}")
    promised = first.get("future_links")
    if isinstance(promised, list) and body.get("output") != promised:
        return violated(r, INSIDE, f"output equal to future_links {promised}",
                        f"output {body.get('output')!r}")
    return passed(r, INSIDE)


@JOB_FAILED.check(sides=(INSIDE,))
def _job_failed(r: Rule, ex: Exchange) -> Outcome:
    """A queued job that ends failed is fetched as `{status: failed, id, message}`: the job's
    own id and a message string (ledger `webhook-failure`)."""
    first, final = ex.reply.body, ex.final
    if ex.endpoint not in GENERATION or ex.reply.status_field != "processing" \
            or not isinstance(first, Mapping) or final is None or is_fault(final):
        return not_applicable(r)
    if final.status_field != "failed":
        return not_applicable(r, "the job did not fail")
    body = final.body
    if not isinstance(body, Mapping) or not isinstance(body.get("message"), str):
        return violated(r, INSIDE, "a failure message", final.short())
    if first.get("id") is not None and str(body.get("id")) != str(first.get("id")):
        return violated(r, INSIDE, f"the failed job's id {first.get('id')!r}",
                        f"id {body.get('id')!r}")
    return passed(r, INSIDE)


def _fetch_id(ex: Exchange) -> Any:
    if ex.path_id is not None:
        return ex.path_id
    return ex.body.get("request_id") if isinstance(ex.body, Mapping) else None


@FETCH_UNKNOWN.check(sides=(INSIDE,))
@only_our_key
def _fetch_unknown(r: Rule, ex: Exchange) -> Outcome:
    """Fetching an id the backend never issued answers an error."""
    if _fetch_id(ex) != UNKNOWN_ID:
        return not_applicable(r)
    k = kind(ex)
    if k == REJECTED:
        return passed(r, INSIDE)
    if k == ACCEPTED:
        return violated(r, INSIDE, "an error body for an unknown id",
                        f"it was answered: {ex.reply.short()}")
    return not_applicable(r, k)


@FLUX_WARNING.check(sides=(INSIDE,))
@only_generation
@only_accepted
def _flux_warning(r: Rule, ex: Exchange) -> Outcome:
    """A flux model given unsupported parameters answers with a `warning`."""
    request = request_of(ex)
    if not request.ignored:
        return not_applicable(r)
    for reply in live_replies(ex):
        warning = reply.body.get("warning")
        if not isinstance(warning, str) or not warning.strip():
            return violated(r, INSIDE,
                            f"a warning that {', '.join(request.ignored)} were ignored",
                            f"warning={warning!r}")
    return passed(r, INSIDE)


@IMAGES_SIZE.check(sides=(INSIDE,))
@only_generation
@only_with_images
def _images_size(r: Rule, ex: Exchange) -> Outcome:
    """Each output image loads and is (width x height) times the effective upscale."""
    request = request_of(ex)
    factor = 1 if "upscale" in request.ignored else request.upscale
    want = (request.width * factor, request.height * factor)
    checked = False
    for image in ex.images:
        if image.status in (0, 429) or image.status >= 500:
            continue
        if image.size is None:
            return violated(r, INSIDE, f"a {want[0]}x{want[1]} image at {image.url}",
                            f"HTTP {image.status}: {image.error}")
        if tuple(image.size) != want:
            return violated(r, INSIDE, f"{want[0]}x{want[1]} pixels",
                            f"{image.size[0]}x{image.size[1]} at {image.url}")
        checked = True
    return passed(r, INSIDE) if checked else not_applicable(r, "fault")
