"""Mutant backends: the mock behind an httpx transport that breaks exactly one rule.

Each mutant rewrites requests before the mock sees them (so the mock accepts what it should
refuse) or rewrites the mock's answers. Built here, in the tests, never as switches in the mock.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import httpx

import spec
from contracts import parse, rules, strategies, vocabulary
from contracts.rules import GENERATION, Rule
from contracts.vocabulary import MOCK_KEY as KEY

Json = Any
RequestRewrite = Callable[[str, Json], Json]
ResponseRewrite = Callable[[str, Json, Json], Json]


def _endpoint(path: str) -> tuple[str | None, str | None]:
    route = spec.contract().route(path)
    if route is None or route.kind == "image":
        return None, None
    return route.template, route.path_id


class Mutant(httpx.BaseTransport):
    """`inner` with request and response rewrites (JSON bodies) and an image rewrite."""

    def __init__(self, inner: httpx.BaseTransport, *, request: RequestRewrite | None = None,
                 response: ResponseRewrite | None = None,
                 image: Callable[[bytes], bytes] | None = None,
                 answer: Callable[[str, Json], httpx.Response | None] | None = None) -> None:
        self.inner = inner
        self.request_rewrite = request
        self.response_rewrite = response
        self.image_rewrite = image
        #: Answers some requests itself (before the mock sees them).
        self.answer = answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        content = request.read()
        body: Json = None
        if request.method == "POST":
            try:
                body = json.loads(content)
            except ValueError:
                body = content.decode("utf-8", "replace")
            if self.answer is not None:
                own = self.answer(path, body)
                if own is not None:
                    return own
            if self.request_rewrite is not None:
                new = self.request_rewrite(path, body)
                if new is not body:
                    content = new.encode() if isinstance(new, str) else json.dumps(new).encode()
                    body = new
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        forwarded = httpx.Request(request.method, request.url, headers=headers, content=content)
        response = self.inner.handle_request(forwarded)
        response.read()
        if request.method == "GET" and self.image_rewrite is not None \
                and response.status_code == 200:
            return httpx.Response(200, headers={"content-type": "image/png"},
                                  content=self.image_rewrite(response.content))
        if request.method == "POST" and self.response_rewrite is not None:
            try:
                answer = response.json()
            except ValueError:
                return response
            answer = self.response_rewrite(path, body, answer)
            out_headers = {k: v for k, v in response.headers.items()
                           if k.lower() not in ("content-length", "content-encoding")}
            return httpx.Response(response.status_code, headers=out_headers,
                                  content=json.dumps(answer).encode())
        return response


# -- request rules: repair what parse rejects for that rule, so the mock accepts it ---------

_FILL = {"key": KEY, "model_id": strategies.MODEL_ID, "prompt": "repaired",
         "request_id": vocabulary.UNKNOWN_ID}


def repairing(rule: Rule) -> RequestRewrite:
    def rewrite(path: str, body: Json) -> Json:
        endpoint, path_id = _endpoint(path)
        if endpoint is None:
            return body
        parsed = parse(endpoint, body, path_id=path_id)
        broken = [v for v in parsed.violations if v.rule is rule]
        if not broken:
            return body
        if rule is rules.BODY_JSON:
            return ({"key": KEY, "request_id": vocabulary.UNKNOWN_ID}
                    if endpoint not in GENERATION else strategies.base(endpoint, key=KEY))
        out = dict(body)
        for v in broken:
            if rule is rules.FIELD_REQUIRED or (rule is rules.FIELD_TYPE and v.field in _FILL):
                # a required field in the wrong form is repaired, not dropped (dropping it
                # would break field.required instead)
                out[v.field or "prompt"] = _FILL.get(v.field or "prompt", "x")
            else:
                out.pop(v.field or "", None)
                if rule in (rules.LORA_COUNT, rules.LORA_STRENGTH_RANGE):
                    out.pop("lora_strength", None)
        return out
    return rewrite


# -- response rules ----------------------------------------------------------------------------

def _live(answer: Json) -> bool:
    return isinstance(answer, dict) and answer.get("status") in ("success", "processing")


def _steps_uncapped(path: str, body: Json, answer: Json) -> Json:
    if path in GENERATION and _live(answer) and isinstance(body, dict) \
            and body.get("num_inference_steps") is not None:
        answer["meta"]["steps"] = int(float(body["num_inference_steps"]))
    return answer


def _schema_broken(path: str, body: Json, answer: Json) -> Json:
    if isinstance(answer, dict) and answer.get("status") == "success":
        answer["generationTime"] = "fast"
    return answer


def _error_without_status(path: str, body: Json, answer: Json) -> Json:
    if isinstance(answer, dict) and answer.get("status") in ("error", "failed"):
        del answer["status"]
    return answer


def _failed_other_id(path: str, body: Json, answer: Json) -> Json:
    if isinstance(answer, dict) and answer.get("status") == "failed" and "id" in answer:
        answer["id"] = f"{answer['id']}-other"
    return answer


def _extra_link(path: str, body: Json, answer: Json) -> Json:
    if _live(answer):
        for name in ("output", "future_links", "proxy_links"):
            links = answer.get(name)
            if isinstance(links, list) and links:
                links.append(links[-1])
    return answer


def _meta_wrong(path: str, body: Json, answer: Json) -> Json:
    if _live(answer) and isinstance(answer.get("meta"), dict):
        answer["meta"]["W"] = int(answer["meta"]["W"]) + 8
    return answer


def _seed_not_echoed(path: str, body: Json, answer: Json) -> Json:
    if _live(answer) and isinstance(answer.get("meta"), dict):
        answer["meta"]["seed"] = (int(answer["meta"]["seed"]) + 1) % 2**32
    return answer


def _fetch_other_links(path: str, body: Json, answer: Json) -> Json:
    if path not in GENERATION and isinstance(answer, dict) and answer.get("status") == "success":
        answer["output"] = [link + "#other" for link in answer["output"]]
    return answer


def _unknown_found(path: str, body: Json, answer: Json) -> Json:
    message = spec.contract().errors["unknown_job"]["message"]
    if path not in GENERATION and isinstance(answer, dict) \
            and answer.get("message") == message:
        return {"status": "success", "id": vocabulary.UNKNOWN_ID, "output": []}
    return answer


def _no_warning(path: str, body: Json, answer: Json) -> Json:
    if isinstance(answer, dict):
        answer.pop("warning", None)
    return answer


def _accept_any_key(path: str, body: Json) -> Json:
    if isinstance(body, dict) and body.get("key") == vocabulary.INVALID_KEY:
        return {**body, "key": KEY}
    return body


def _wrong_size(content: bytes) -> bytes:
    from PIL import Image

    if not content.startswith(b"\x89PNG"):
        return content

    with Image.open(io.BytesIO(content)) as img:
        size = (img.width + 8, img.height)
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="PNG")
    return out.getvalue()


#: Rules broken by rewriting answers (or, for auth.key, requests). Every other request rule
#: is broken by `repairing` it: its mutant accepts what `parse` rejects for that rule.
RESPONSE_MUTANTS: dict[Rule, dict[str, Any]] = {
    rules.STEPS_CAP: {"response": _steps_uncapped},
    rules.RESPONSE_SCHEMA: {"response": _schema_broken},
    rules.ERROR_SHAPE: {"response": _error_without_status},
    rules.AUTH_KEY: {"request": _accept_any_key},
    rules.OUTPUT_COUNT: {"response": _extra_link},
    rules.META_ECHO: {"response": _meta_wrong},
    rules.SEED_ECHO: {"response": _seed_not_echoed},
    rules.PROCESSING_FETCH: {"response": _fetch_other_links},
    rules.FETCH_UNKNOWN: {"response": _unknown_found},
    rules.JOB_FAILED: {"response": _failed_other_id},
    rules.FLUX_WARNING: {"response": _no_warning},
    rules.IMAGES_SIZE: {"image": _wrong_size},
    rules.IMAGES_BASE64: {"image": lambda content: _base64_served_raw(content)},
    rules.INVALID_REFUSED: {"answer": lambda path, body: _crash_on_invalid(path, body)},
    rules.WEBHOOK_DELIVERY: {"request": lambda path, body: _webhook_dropped(path, body)},
    rules.WEBHOOK_TRACK_ID: {"request": lambda path, body: _track_id_dropped(path, body)},
}


def has_mutant(rule: Rule) -> bool:
    """A mutant backend exists for `rule` (test_gate_mutants shows the gate kills it)."""
    return rule in RESPONSE_MUTANTS or rule.phase == "request"


def mutant(rule: Rule | str, inner: httpx.BaseTransport) -> Mutant:
    """A backend that breaks `rule` and (as far as the gate can tell) nothing else."""
    rule = rules.rule(rule)
    if rule in RESPONSE_MUTANTS:
        return Mutant(inner, **RESPONSE_MUTANTS[rule])
    if rule.phase == "request":
        return Mutant(inner, request=repairing(rule))
    raise KeyError(f"no mutant for {rule}")


# -- blind spots (issue 14): realistic breakages the gate once passed -------------------------

def _crash_on_invalid(path: str, body: Json) -> httpx.Response | None:
    endpoint, path_id = _endpoint(path)
    if endpoint in GENERATION and isinstance(body, dict) \
            and not parse(endpoint, body, path_id=path_id).ok:
        return httpx.Response(500, headers={"content-type": "text/html"},
                              text="<html><h1>500 Internal Server Error</h1></html>")
    return None


def _1024_served_at_768(content: bytes) -> bytes:
    from PIL import Image

    if not content.startswith(b"\x89PNG"):
        return content
    with Image.open(io.BytesIO(content)) as img:
        if img.size != (1024, 1024):
            return content
    out = io.BytesIO()
    Image.new("RGB", (768, 768)).save(out, format="PNG")
    return out.getvalue()


def _base64_served_raw(content: bytes) -> bytes:
    import base64

    return content if content.startswith(b"\x89PNG") else base64.b64decode(content.strip())


def _string_samples_short(path: str, body: Json, answer: Json) -> Json:
    if _live(answer) and isinstance(body, dict) and body.get("samples") == "4":
        for name in ("output", "future_links", "proxy_links"):
            links = answer.get(name)
            if isinstance(links, list) and len(links) == 4:
                links.pop()
    return answer


def _no_key_accepted(path: str, body: Json) -> Json:
    if isinstance(body, dict) and "key" not in body and _endpoint(path)[0] in GENERATION:
        return {**body, "key": KEY}
    return body


def _webhook_dropped(path: str, body: Json) -> Json:
    """Never fires a webhook, yet validates the field as a real backend would: only a valid
    (string) webhook is dropped, so an invalid one is still refused (no false field.type)."""
    if isinstance(body, dict) and isinstance(body.get("webhook"), str):
        return {k: v for k, v in body.items() if k != "webhook"}
    return body


def _track_id_dropped(path: str, body: Json) -> Json:
    """Only a valid track_id (a string or an integer) is dropped: an invalid one still fails."""
    value = body.get("track_id") if isinstance(body, dict) else None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return {k: v for k, v in body.items() if k != "track_id"}  # type: ignore[union-attr]
    return body


#: Name -> (the rule the gate must name, the mutant's rewrites).
BLIND_SPOTS: dict[str, tuple[Rule, dict[str, Any]]] = {
    "crash (500, HTML) on an invalid body": (rules.INVALID_REFUSED,
                                             {"answer": _crash_on_invalid}),
    "1024x1024 served at 768x768": (rules.IMAGES_SIZE, {"image": _1024_served_at_768}),
    "base64 links serve raw PNG": (rules.IMAGES_BASE64, {"image": _base64_served_raw}),
    'samples "4" answered with 3 links': (rules.OUTPUT_COUNT,
                                          {"response": _string_samples_short}),
    "a body without key accepted": (rules.FIELD_REQUIRED, {"request": _no_key_accepted}),
    "webhooks never fired": (rules.WEBHOOK_DELIVERY, {"request": _webhook_dropped}),
    "webhooks fired without track_id": (rules.WEBHOOK_TRACK_ID,
                                        {"request": _track_id_dropped}),
}


def blind_spot(name: str, inner: httpx.BaseTransport) -> tuple[Rule, Mutant]:
    """The rule the gate must name and the backend of the blind spot `name`."""
    rule, rewrites = BLIND_SPOTS[name]
    return rule, Mutant(inner, **rewrites)
