"""The admin API's OpenAPI 3.1 document, as data: served at `GET /__mock/openapi.json`.

Kept beside the code it describes (`admin.py`, `dashboard.py`); a test validates it with
openapi-spec-validator, calls every operation on a mock, and checks that the README lists
every method.
"""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, ok: dict[str, Any], *, errors: tuple[int, ...] = (),
        body: dict[str, Any] | None = None, params: list[dict[str, Any]] | None = None
        ) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": ok}}
    for status in errors:
        op["responses"][str(status)] = _json(_ref("Error"), "an error, with its reason")
    if body is not None:
        op["requestBody"] = {"required": False,
                             "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


def _query_int(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "integer", "minimum": 0}}


_OK = _json(_ref("Ok"))
_CONFIG = _json(_ref("Config"), "the settings now (accepted keys by count only)")
_SCENARIO = _path_param("name", "a preset from GET /__mock/scenarios")
_JOB_ID = _path_param("id", "a job id (the `id` of a generation answer)")
_JOB_ENDED = _json({"type": "object", "required": ["status", "job"],
                    "properties": {"status": {"const": "ok"}, "job": _ref("Job")}})
_TEXT = {"type": "string"}
_NUM = {"type": "number"}
_NULLABLE_NUM = {"type": ["number", "null"]}

PATHS: dict[str, dict[str, Any]] = {
    "/__mock/": {"get": _op("the dashboard (HTML)", {
        "description": "the page", "content": {"text/html": {"schema": _TEXT}}})},
    "/__mock/ui/{file}": {"get": _op("the dashboard's script and style sheet", {
        "description": "the file", "content": {"text/javascript": {"schema": _TEXT},
                                              "text/css": {"schema": _TEXT}}},
        errors=(404,), params=[_path_param("file", "dashboard.js or dashboard.css")])},
    "/__mock/openapi.json": {"get": _op("this document", _json({"type": "object"}))},
    "/__mock/health": {"get": _op("is the mock up; counts", _json(_ref("Health")))},
    "/__mock/config": {
        "get": _op("the settings", _CONFIG),
        **{m: _op("change settings: setting -> value (unknown ones are refused)", _CONFIG,
                  errors=(422,), body=_ref("ConfigChange"))
           for m in ("put", "post", "patch")}},
    "/__mock/journal": {
        "get": _op("the recorded requests and webhooks, keys redacted; with `since` or "
                   "`limit`, one page of them and `last_seq`", _json(_ref("Journal")),
                   errors=(422,), params=[
                       _query_int("since", "only entries with a larger seq (poll with the "
                                  "last one seen; a last_seq below it means it was cleared)"),
                       _query_int("limit", "at most this many entries (1 to 1000)")]),
        "delete": _op("forget the recorded requests", _OK)},
    "/__mock/reset": {"post": _op("forget jobs, journal, rate counts and images; restore the "
                                  "starting settings", _OK)},
    "/__mock/scenarios": {"get": _op("the presets and the settings each changes",
                                     _json(_ref("Scenarios")))},
    "/__mock/scenarios/{name}": {
        m: _op("apply a preset over the starting settings", _json(_ref("ScenarioApplied")),
               errors=(404,), params=[_SCENARIO]) for m in ("post", "put")},
    "/__mock/scenario/{name}": {
        m: _op("the same as /__mock/scenarios/{name}", _json(_ref("ScenarioApplied")),
               errors=(404,), params=[_SCENARIO]) for m in ("post", "put")},
    "/__mock/jobs": {"get": _op("the jobs of the journal's requests, newest first (at most "
                                "200; `counts` counts them all by state)",
                                _json(_ref("Jobs")))},
    "/__mock/jobs/{id}/finish": {"post": _op(
        "end a queued or due job now: fetch answers success, its webhook fires", _JOB_ENDED,
        errors=(404, 409), params=[_JOB_ID])},
    "/__mock/jobs/{id}/fail": {"post": _op(
        "end a queued or due job now as failed: fetch answers {status: failed, id, message}, "
        "its webhook carries id, message and track_id", _JOB_ENDED, errors=(404, 409, 422),
        params=[_JOB_ID], body={"type": "object",
                                "properties": {"message": {"type": "string", "minLength": 1,
                                                           "default": "Failed, Try Again"}}})},
    "/__mock/images": {"get": _op("the images that can be shown now, newest first (at most "
                                  "200)", _json(_ref("Images")))},
}

SCHEMAS: dict[str, Any] = {
    "Ok": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Error": {"type": "object", "required": ["status", "message"],
              "properties": {"status": {"const": "error"}, "message": _TEXT}},
    "Health": {"type": "object", "required": ["status", "jobs", "journal", "images_cached"],
               "properties": {"status": {"const": "ok"}, "jobs": {"type": "integer"},
                              "journal": {"type": "integer"},
                              "images_cached": {"type": "integer"}}},
    "Config": {"type": "object", "properties": {
        "origin": {"type": ["string", "null"]},
        "queue": {"enum": ["never", "always", "workload"]}, "eta": _NUM,
        "error_mode": {"enum": ["legacy", "http"]}, "quirks": {"type": "boolean"},
        "latency": {"type": ["number", "string", "null"]}, "seed": {"type": "integer"},
        "accepted_keys": {"type": ["string", "null"], "description": '"N key(s)", never a key'},
        "rate_limit": {"type": ["integer", "null"]},
        "webhook_hosts": {"type": "array", "items": _TEXT}, "store": _TEXT,
        "max_jobs": {"type": "integer"}, "job_ttl": _NUM, "max_body_bytes": {"type": "integer"},
        "failure_rate": {"type": "number", "minimum": 0, "maximum": 1}}},
    "ConfigChange": {"type": "object", "description": "any settings of Config; accepted_keys "
                     "takes a list of keys; store cannot change while the mock runs"},
    "JournalEntry": {"type": "object", "required": ["seq", "kind"], "properties": {
        "seq": {"type": "integer"}, "kind": {"enum": ["request", "webhook"]},
        "time": {"type": "number", "description": "seconds since the epoch"},
        "method": _TEXT, "path": _TEXT, "url": {"type": "string", "description": "webhooks"},
        "status": {"type": "integer", "description": "the HTTP status answered"},
        "outcome": {"type": "string", "description": "success, processing, an error name; "
                    "for webhooks delivered, failed, refused or dropped"},
        "key": {"type": ["string", "null"], "description": "the key, redacted"},
        "prefer": {"type": "string", "description": "the Prefer header, when it asked for "
                   "something"},
        "latency_ms": {"type": "number", "description": "time to answer, simulated latency "
                       "included"},
        "job": {"type": "integer"}, "rules": {"type": "array", "items": _TEXT},
        "body": {"type": "object", "description": "the request body, secret fields redacted"},
        "response": {"description": "the response body, keys redacted; a string cut at "
                     "4096 characters when longer"}}},
    "Journal": {"type": "object", "required": ["entries"], "properties": {
        "entries": {"type": "array", "items": _ref("JournalEntry")},
        "last_seq": {"type": "integer", "description": "with since or limit: the newest seq"}}},
    "Scenarios": {"type": "object", "required": ["scenarios"], "properties": {
        "scenarios": {"type": "object", "additionalProperties": {"type": "object"}}}},
    "ScenarioApplied": {"type": "object", "required": ["scenario", "config"],
                        "properties": {"scenario": _TEXT, "config": _ref("Config")}},
    "Job": {"type": "object", "required": ["id", "state"], "properties": {
        "id": {"type": "integer"}, "state": {"enum": ["queued", "due", "done", "failed"]},
        "endpoint": _TEXT, "created": _NUM, "due": _NUM, "remaining": _NUM,
        "queued": {"type": "boolean"}, "samples": {"type": "integer"}, "prompt": _TEXT,
        "seed": {"type": "integer"}, "width": {"type": "integer"},
        "height": {"type": "integer"}, "upscale": {"type": "integer"},
        "webhook": {"type": ["string", "null"]},
        "track_id": {"type": ["integer", "string", "null"]},
        "message": {"type": ["string", "null"], "description": "why it failed"}}},
    "Jobs": {"type": "object", "required": ["jobs", "counts"], "properties": {
        "jobs": {"type": "array", "items": _ref("Job")},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}}}},
    "Image": {"type": "object", "required": ["job", "index", "url"], "properties": {
        "job": {"type": "integer"}, "index": {"type": "integer"}, "url": _TEXT,
        "base64": {"type": "boolean"}, "prompt": _TEXT, "seed": {"type": "integer"},
        "width": {"type": "integer"}, "height": {"type": "integer"}, "created": _NUM}},
    "Images": {"type": "object", "required": ["images"],
               "properties": {"images": {"type": "array", "items": _ref("Image")}}},
}

#: The document. Admin answers use real HTTP statuses whatever the error mode.
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "modelslab-contract mock: admin API", "version": "1",
             "description": "Controls and inspects the mock. Same origin as the dashboard at "
                            "/__mock/; answers use real HTTP statuses whatever the error "
                            "mode. API keys never appear: the journal shows them redacted "
                            "and the config by count."},
    "servers": [{"url": "/"}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS},
}

#: (method, path) of every operation, for the README table and the tests.
OPERATIONS: tuple[tuple[str, str], ...] = tuple(
    (method.upper(), path) for path, item in PATHS.items() for method in item)
