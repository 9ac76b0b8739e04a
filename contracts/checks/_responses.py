"""Response rules: shape, echoes, the processing lifecycle, flux warnings and image sizes."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import spec
from contracts import _wire
from contracts.checks import _schema
from contracts.checks._model import Exchange, Outcome, Reply, not_applicable, passed, violated
from contracts.checks._registry import check
from contracts.checks._requests import key_is_ours, kind, parsed
from contracts.model import GenerationRequest
from contracts.reply import ACCEPTED, FAULT, REJECTED, is_fault, looks_like_error
from contracts.rules import FETCH, GENERATION
from contracts.vocabulary import INSIDE, INVALID_KEY, OUTSIDE, UNKNOWN_ID

_LIVE = ("success", "processing")


def _replies(ex: Exchange) -> Iterator[tuple[str, str | None, Reply]]:
    """(endpoint, path id, reply) for the answer and each fetch."""
    yield ex.endpoint, ex.path_id, ex.reply
    for f in ex.fetches:
        yield f.endpoint, f.path_id, f.reply


@check("response.schema", defers_to=("error.shape",))
def _response_schema(ex: Exchange) -> Outcome:
    """Every JSON body (the answer and each fetch) matches the authoritative schema."""
    rule_id = "response.schema"
    side = None
    for endpoint, path_id, reply in _replies(ex):
        if is_fault(reply):
            continue
        side = side or (INSIDE if reply.status_field in _LIVE else OUTSIDE)
        if reply.body is None:
            return violated(rule_id, side, "a JSON body", reply.short())
        for error in _schema.iter_errors(endpoint, reply.status, reply.body, path_id=path_id):
            return violated(rule_id, side, f"a body matching {endpoint} in spec/modelslab.yaml",
                            f"{error} in {reply.short()}")
    return passed(rule_id, side) if side else not_applicable(rule_id, "fault")


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


@check("error.shape")
def _error_shape(ex: Exchange) -> Outcome:
    """Errors carry status error/failed and a message; successes never travel as HTTP errors."""
    rule_id = "error.shape"
    side = None
    for _, _, reply in _replies(ex):
        if is_fault(reply):
            continue
        if looks_like_error(reply):
            side = side or OUTSIDE
            problem = _error_problem(reply)
            if problem:
                return violated(rule_id, OUTSIDE, '{"status": "error", "message": ...}',
                                f"{problem}: {reply.short()}")
            if not (reply.status == 200 or 400 <= reply.status < 500):
                return violated(rule_id, OUTSIDE, "HTTP 200 (legacy) or 4xx (http mode)",
                                reply.short())
        elif reply.status_field in _LIVE:
            side = side or INSIDE
            if not 200 <= reply.status < 300:
                return violated(rule_id, INSIDE, f"HTTP 2xx for status {reply.status_field}",
                                reply.short())
    return passed(rule_id, side) if side else not_applicable(rule_id)


def _generation(ex: Exchange) -> GenerationRequest | None:
    if ex.endpoint not in GENERATION or not key_is_ours(ex.body):
        return None
    request = parsed(ex).request
    return request if isinstance(request, GenerationRequest) else None


@check("auth.key")
def _auth_key(ex: Exchange) -> Outcome:
    """A request with an invalid key is refused (and our own key is not)."""
    rule_id = "auth.key"
    body = ex.body
    if not isinstance(body, Mapping) or ex.endpoint not in GENERATION:
        return not_applicable(rule_id)
    k = kind(ex)
    if body.get("key") == INVALID_KEY:
        p = parsed(ex)
        if not p.ok or k == FAULT:
            return not_applicable(rule_id)
        if k == ACCEPTED:
            return violated(rule_id, OUTSIDE, "the invalid key refused with an error body",
                            f"it was accepted: {ex.reply.short()}")
        return passed(rule_id, OUTSIDE)
    if key_is_ours(body) and k in (ACCEPTED, REJECTED):
        return passed(rule_id, INSIDE)
    return not_applicable(rule_id)


def _live(ex: Exchange) -> Iterator[Reply]:
    for reply in (ex.reply, ex.final):
        if reply is not None and reply.status_field in _LIVE and 200 <= reply.status < 300:
            yield reply


@check("output.count", sides=(INSIDE,))
def _output_count(ex: Exchange) -> Outcome:
    """`output` (or, while processing, `future_links`) has exactly `samples` links."""
    rule_id = "output.count"
    request = _generation(ex)
    if request is None or kind(ex) != ACCEPTED:
        return not_applicable(rule_id)
    for reply in _live(ex):
        body = reply.body
        name = "output" if body["status"] == "success" else "future_links"
        links = body.get(name)
        if not isinstance(links, list) or len(links) != request.samples:
            shown = f"{len(links)} link(s)" if isinstance(links, list) else repr(links)
            return violated(rule_id, INSIDE, f"{request.samples} link(s) in {name}",
                            f"{name}: {shown}")
    return passed(rule_id, INSIDE)


def _meta(reply: Reply) -> Mapping[str, Any] | None:
    meta = reply.body.get("meta") if isinstance(reply.body, Mapping) else None
    return meta if isinstance(meta, Mapping) else None


def _get(meta: Mapping[str, Any], name: str) -> Any:
    alias = spec.contract().quirks.get("meta_aliases", {}).get(name)
    value = meta.get(name)
    return meta.get(alias) if value is None and alias else value


def _same_int(a: Any, b: int) -> bool:
    try:
        return _wire.to_int(a) == b
    except _wire.WireError:
        return False


def _meta_problems(request: GenerationRequest, meta: Mapping[str, Any]) -> Iterator[str]:
    for name, want in (("W", request.width), ("H", request.height),
                       ("n_samples", request.samples)):
        if not _same_int(meta.get(name), want):
            yield f"meta.{name}={meta.get(name)!r}, expected {want}"
    for name, value in request.flags.items():
        seen = _get(meta, name)
        if seen is None or name in request.ignored:
            continue
        word = "yes" if value else "no"
        if seen != word:
            yield f"meta.{name}={seen!r}, expected {word!r}"
    if request.loras and "lora_model" not in request.ignored:
        ids = _get(meta, "lora")
        try:
            seen_ids = _wire.to_id_list(ids)
        except _wire.WireError:
            seen_ids = ()
        if seen_ids != tuple(lo.id for lo in request.loras):
            yield f"meta.lora={ids!r}, expected {request.lora_ids!r}"
        strengths = meta.get("lora_strength")
        try:
            seen_s = _wire.to_strength_list(strengths)
        except _wire.WireError:
            seen_s = ()
        want_s = tuple(lo.strength for lo in request.loras)
        if len(seen_s) != len(want_s) or not all(
                math.isclose(a, b, abs_tol=1e-6) for a, b in zip(seen_s, want_s, strict=False)):
            yield f"meta.lora_strength={strengths!r}, expected {request.lora_strengths!r}"


@check("meta.echo", sides=(INSIDE,))
def _meta_echo(ex: Exchange) -> Outcome:
    """meta echoes W, H, n_samples, the LoRAs and their strengths, and flags as yes/no."""
    rule_id = "meta.echo"
    request = _generation(ex)
    if request is None or kind(ex) != ACCEPTED:
        return not_applicable(rule_id)
    for reply in _live(ex):
        meta = _meta(reply)
        if meta is None:
            return violated(rule_id, INSIDE, "a meta object", reply.short())
        for problem in _meta_problems(request, meta):
            return violated(rule_id, INSIDE, "meta echoing the request", problem)
    return passed(rule_id, INSIDE)


@check("seed.echo")
def _seed_echo(ex: Exchange) -> Outcome:
    """meta.seed is the seed sent (inside) or, for null, a seed the backend picked (outside)."""
    rule_id = "seed.echo"
    request = _generation(ex)
    if request is None or kind(ex) != ACCEPTED:
        return not_applicable(rule_id)
    f = spec.contract().field(request.endpoint, "seed")
    side = INSIDE if request.seed is not None else OUTSIDE
    for reply in _live(ex):
        meta = _meta(reply) or {}
        seen = meta.get("seed")
        try:
            value = _wire.to_int(seen)
        except _wire.WireError:
            return violated(rule_id, side, "an integer meta.seed", f"meta.seed={seen!r}")
        if request.seed is not None and value != request.seed:
            return violated(rule_id, side, f"meta.seed={request.seed}", f"meta.seed={seen!r}")
        if not (f.minimum or 0) <= value <= (f.maximum or math.inf):
            return violated(rule_id, side, "a seed in range", f"meta.seed={seen!r}")
    return passed(rule_id, side)


@check("processing.fetch", sides=(INSIDE,))
def _processing_fetch(ex: Exchange) -> Outcome:
    """A queued job is fetched to success with the same id and exactly the promised links."""
    rule_id = "processing.fetch"
    first = ex.reply.body
    if ex.endpoint not in GENERATION or ex.reply.status_field != "processing" \
            or not isinstance(first, Mapping):
        return not_applicable(rule_id)
    if first.get("id") is None and not first.get("fetch_result"):
        return violated(rule_id, INSIDE, "an id or fetch_result to fetch the job with",
                        ex.reply.short())
    final = ex.final
    if final is None or is_fault(final) or final.status_field == "processing":
        return not_applicable(rule_id, "not fetched to the end")
    body = final.body
    if final.status_field != "success" or not isinstance(body, Mapping):
        return violated(rule_id, INSIDE, "the job fetched to success", final.short())
    if first.get("id") is not None and str(body.get("id")) != str(first.get("id")):
        return violated(rule_id, INSIDE, f"id {first.get('id')!r}", f"id {body.get('id')!r}")
    promised = first.get("future_links")
    if isinstance(promised, list) and body.get("output") != promised:
        return violated(rule_id, INSIDE, f"output equal to future_links {promised}",
                        f"output {body.get('output')!r}")
    return passed(rule_id, INSIDE)


def _fetch_id(ex: Exchange) -> Any:
    if ex.path_id is not None:
        return ex.path_id
    return ex.body.get("request_id") if isinstance(ex.body, Mapping) else None


@check("fetch.unknown", sides=(INSIDE,))
def _fetch_unknown(ex: Exchange) -> Outcome:
    """Fetching an id the backend never issued answers an error."""
    rule_id = "fetch.unknown"
    if ex.endpoint not in FETCH or _fetch_id(ex) != UNKNOWN_ID or not key_is_ours(ex.body):
        return not_applicable(rule_id)
    k = kind(ex)
    if k == REJECTED:
        return passed(rule_id, INSIDE)
    if k == ACCEPTED:
        return violated(rule_id, INSIDE, "an error body for an unknown id",
                        f"it was answered: {ex.reply.short()}")
    return not_applicable(rule_id, k)


@check("flux.warning", sides=(INSIDE,))
def _flux_warning(ex: Exchange) -> Outcome:
    """A flux model given unsupported parameters answers with a `warning`."""
    rule_id = "flux.warning"
    request = _generation(ex)
    if request is None or not request.ignored or kind(ex) != ACCEPTED:
        return not_applicable(rule_id)
    for reply in _live(ex):
        warning = reply.body.get("warning")
        if not isinstance(warning, str) or not warning.strip():
            return violated(rule_id, INSIDE,
                            f"a warning that {', '.join(request.ignored)} were ignored",
                            f"warning={warning!r}")
    return passed(rule_id, INSIDE)


@check("images.size", sides=(INSIDE,))
def _images_size(ex: Exchange) -> Outcome:
    """Each output image loads and is (width x height) times the effective upscale."""
    rule_id = "images.size"
    request = _generation(ex)
    if request is None or not ex.images:
        return not_applicable(rule_id)
    factor = 1 if "upscale" in request.ignored else request.upscale
    want = (request.width * factor, request.height * factor)
    checked = False
    for image in ex.images:
        if image.status in (0, 429) or image.status >= 500:
            continue
        if image.size is None:
            return violated(rule_id, INSIDE, f"a {want[0]}x{want[1]} image at {image.url}",
                            f"HTTP {image.status}: {image.error}")
        if tuple(image.size) != want:
            return violated(rule_id, INSIDE, f"{want[0]}x{want[1]} pixels",
                            f"{image.size[0]}x{image.size[1]} at {image.url}")
        checked = True
    return passed(rule_id, INSIDE) if checked else not_applicable(rule_id, "fault")
