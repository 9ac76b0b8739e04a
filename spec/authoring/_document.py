"""Render the resolved fields and shapes as one OpenAPI 3.1 document with `x-contract`."""

from __future__ import annotations

from typing import Any

from spec._field import Field
from spec.authoring._fields import GENERATION_FIELDS
from spec.endpoints import (
    FETCH_FORMS,
    FIXED_MODELS,
    GENERATION_PATHS,
    IMAGE_TEMPLATE,
    JOB_FAMILIES,
    REALTIME,
    V3,
    V3_DREAMBOOTH,
    V4,
    V6,
    V7,
)
from spec.wire import WIRE

MOCK_ORIGIN = "http://127.0.0.1:4010"

ERRORS: dict[str, dict[str, Any]] = {
    # name: HTTP status in http mode, the legacy message (legacy mode, HTTP 200) and, where the
    # error-code catalogue states one, its message (http mode). Ledger: `error-http-codes`,
    # `error-messages`, `unknown-model`, `retry-after`.
    "validation": {"http": 400, "message": "Validation failed"},
    "invalid_key": {"http": 401, "message": "Invalid Api Key",
                    "catalogue": "Invalid API key"},
    "no_credits": {"http": 402, "message": "Insufficient credits",
                   "catalogue": "Insufficient credits. Please add more credits to continue."},
    "premium": {"http": 403, "message": "This feature requires a premium subscription"},
    "unknown_job": {"http": 404, "message": "Request id not found"},
    "unknown_model": {"http": 404, "message": "Model id not found",
                      "catalogue": "Model not found: {model_id}"},
    "rate_limit": {"http": 429, "message": "Rate limit exceeded",
                   "catalogue": "Rate limit exceeded. Maximum 5 queued requests allowed."},
    "failed": {"http": 200, "message": "Failed, Try Again"},
    "server": {"http": 500, "message": "Server error, try again later",
               "catalogue": "Internal server error. Please try again."},
    "unavailable": {"http": 503,
                    "message": "Service temporarily unavailable. Please try again later."},
    "payload_too_large": {"http": 413, "message": "Request body too large"},
}

#: Model ids the vendor documents publicly (the mock's `--models public` preset; ledger
#: `unknown-model`): the model-selection guide's image models, the v6 page's flux family, and
#: the ids the official SDK's provider classes send.
PUBLIC_MODELS = ("flux", "midjourney", "sdxl", "imagen-3", "imagen-4", "fluxschnell", "fluxdev",
                 "imagen-4.0-fast-generate", "imagen-4.0-ultra", "nano-banana-t2i",
                 "nano-banana-pro", "seedream-t2i", "seedream-4", "seedream-4.5", "flux-2-pro",
                 "flux-pro-1752000026", "flux-pro-1.1", "flux-pro-1.1-ultra")


def _property(f: Field) -> dict[str, Any]:
    """A field's schema: its wire kind's types and pattern, its limits, its `x-contract`."""
    wire = WIRE[f.kind]
    nullable = not f.required
    types = [*wire.types, "null"] if nullable else list(wire.types)
    schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    if f.kind == "enum":
        assert f.enum is not None
        schema["enum"] = [*f.enum, *f.aliases, *([None] if nullable else [])]
    if wire.pattern is not None:
        schema["pattern"] = wire.pattern
    for key, value in (("minimum", f.minimum), ("maximum", f.maximum),
                       ("multipleOf", f.multiple_of)):
        if value is not None:
            schema[key] = value
    if f.default is not None:
        schema["default"] = f.default
    contract: dict[str, Any] = {"kind": f.kind}
    if f.cap is not None:
        contract["cap"] = f.cap
    if f.aliases:
        contract["aliases"] = dict(f.aliases)
    if f.rules:
        contract["rules"] = list(f.rules)
    if f.ledger:
        contract["ledger"] = list(f.ledger)
    schema["x-contract"] = contract
    return schema


def _request_schema(fields: tuple[Field, ...], version: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"Generation request ({version}). Unknown fields are ignored.",
        "required": [f.name for f in fields if f.required],
        "properties": {f.name: _property(f) for f in fields},
        "additionalProperties": True,
    }


_ID = {"type": ["integer", "string", "null"]}
_LINKS = {"type": "array", "items": {"type": "string"}}
#: The flux page shows proxy_links as an object of index -> link (ledger `proxy-links-type`).
_INDEXED_LINKS = {"type": "object", "propertyNames": {"pattern": "^[0-9]+$"},
                  "additionalProperties": {"type": "string"}}
_META = {"type": "object", "additionalProperties": True}
_MESSAGE = {"oneOf": [{"type": "string"},
                      {"type": "object", "additionalProperties": {
                          "type": "array", "items": {"type": "string"}}}]}

SCHEMAS: dict[str, Any] = {
    "SuccessResponse": {
        "type": "object", "required": ["status", "output"],
        "properties": {
            "status": {"const": "success"}, "generationTime": {"type": "number"},
            "id": _ID, "output": _LINKS, "proxy_links": {"oneOf": [_LINKS, _INDEXED_LINKS]},
            "meta": _META, "track_id": {"type": ["integer", "string", "null"]},
            "nsfw_content_detected": {"type": "boolean"}, "webhook_status": {"type": "string"},
            "tip": {"type": "string"}, "warning": {"type": "string"},
        },
    },
    "ProcessingResponse": {
        # id optional: ledger `processing-id`.
        "type": "object", "required": ["status"],
        "properties": {
            "status": {"const": "processing"}, "tip": {"type": "string"},
            "tip_1": {"type": "string"}, "eta": {"type": "number"},
            "message": {"type": "string"}, "messege": {"type": "string"},
            "webhook_status": {"type": "string"}, "fetch_result": {"type": "string"},
            "id": _ID, "output": {"oneOf": [_LINKS, {"const": ""}]}, "meta": _META,
            "future_links": _LINKS, "proxy_links": _LINKS, "warning": {"type": "string"},
        },
    },
    "ErrorResponse": {
        "type": "object", "required": ["status"],
        "anyOf": [{"required": ["message"]}, {"required": ["messege"]}],
        "properties": {
            "status": {"enum": ["error", "failed"]}, "message": _MESSAGE,
            "messege": _MESSAGE, "tip": {"type": "string"}, "tips": {},
            "id": _ID, "track_id": {"type": ["integer", "string", "null"]},
            "retry_after": {"type": "integer", "minimum": 0},
        },
    },
    "GenerationResponse": {"oneOf": [
        {"$ref": "#/components/schemas/SuccessResponse"},
        {"$ref": "#/components/schemas/ProcessingResponse"},
        {"$ref": "#/components/schemas/ErrorResponse"},
    ]},
    "FetchByIdRequest": {
        "type": "object", "required": ["key"], "additionalProperties": True,
        "properties": {"key": {"type": "string"}},
    },
    "FetchRequest": {
        "type": "object", "required": ["key", "request_id"], "additionalProperties": True,
        "properties": {"key": {"type": "string"}, "request_id": {"type": ["integer", "string"]}},
    },
}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _responses() -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "Success, processing, or (legacy mode) an "
                                   "error body", "content": _json("GenerationResponse")}}
    for status in sorted({e["http"] for e in ERRORS.values() if e["http"] != 200}):
        out[str(status)] = {"description": "Error body (http mode)",
                            "content": _json("ErrorResponse")}
        if status == 429:
            out[str(status)]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return out


def _post(summary: str, body_ref: str, *, path_id: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "requestBody": {"required": True, "content": _json(body_ref)},
        "responses": _responses(),
    }
    if path_id:
        op["parameters"] = [{"name": "id", "in": "path", "required": True,
                             "schema": {"type": "string", "pattern": r"^[0-9A-Za-z_-]+$"}}]
    return {"post": op}


#: Generation endpoint -> (its request schema, its API version, its summary).
GENERATION_DOCS: dict[str, tuple[str, str, str]] = {
    V6: ("Text2ImgRequest", "v6", "Text to image (community models, LoRA, multi-LoRA)"),
    V4: ("DreamboothRequest", "v4", "Dreambooth text to image (older API)"),
    V7: ("V7TextToImageRequest", "v7", "Text to image, current version (inferred from clients)"),
    REALTIME: ("RealtimeText2ImgRequest", "v6 realtime", "Realtime text to image (no model_id)"),
    V3: ("V3Text2ImgRequest", "v3", "Text to image of the former brand (no model_id)"),
    V3_DREAMBOOTH: ("V3DreamboothRequest", "v3", "Dreambooth text to image of the former brand"),
}


def _cited_rules() -> list[str]:
    cited = {r for fields in GENERATION_FIELDS.values() for f in fields for r in f.rules}
    return sorted(cited | {"lora.count", "flux.warning"})


def _generation_entry(path: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"request": GENERATION_DOCS[path][0],
                             "jobs": JOB_FAMILIES.get(path, path)}
    if path in FIXED_MODELS:
        entry["model"] = FIXED_MODELS[path]
    return entry


def build_document() -> dict[str, Any]:
    """The whole authoritative document, as plain data ready for YAML."""
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for path in GENERATION_PATHS:
        request, version, summary = GENERATION_DOCS[path]
        schemas[request] = _request_schema(GENERATION_FIELDS[path], version)
        paths[path] = _post(summary, request)
    schemas.update(SCHEMAS)
    for path, (_, id_in) in FETCH_FORMS.items():
        by_id = id_in == "path"
        paths[path] = _post("Fetch a queued job", "FetchByIdRequest" if by_id else "FetchRequest",
                            path_id=by_id)
    paths[IMAGE_TEMPLATE] = {"get": {
        "summary": "A generated image (on the mock's own origin)",
        "parameters": [{"name": "file", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "PNG, or base64 text for .base64 files", "content": {
                "image/png": {"schema": {"type": "string", "contentEncoding": "binary"}},
                "text/plain": {"schema": {"type": "string", "contentEncoding": "base64"}}}},
            "404": {"description": "Unknown or expired image"},
        },
    }}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ModelsLab image generation: authoritative contract",
            "version": "1.0.0",
            "description": "Generated by `modelslab-contract spec normalise` from the sources in "
                           "spec/authoring/sources; spec/LEDGER.md records every conflict "
                           "between them and how it was resolved. Do not edit by hand.",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": "https://modelslab.com", "description": "the real API"},
                    {"url": MOCK_ORIGIN, "description": "modelslab-contract mock"}],
        "paths": paths,
        "components": {"schemas": schemas},
        "x-contract": {
            "generation": {path: _generation_entry(path) for path in GENERATION_PATHS},
            "fetch": {path: {"generation": gen, "id_in": id_in}
                      for path, (gen, id_in) in FETCH_FORMS.items()},
            "images": IMAGE_TEMPLATE,
            "cross_field": {
                "lora.count": "the number of lora_strength values equals the number of "
                              "lora_model ids; strengths without ids are a mismatch",
                "flux.warning": "flux models ignore unsupported parameters and say so in "
                                "`warning`",
            },
            "flux": {
                "models": ["flux", "fluxschnell", "fluxdev"],
                # ledger `flux-steps`: the flux family's steps are capped at 50, not 20.
                "steps_cap": 50,
                "unsupported": ["negative_prompt", "enhance_prompt", "enhance_style",
                                "lora_model", "ip_adapter_id", "embeddings_model", "upscale",
                                "highres_fix"],
            },
            "wire": {**{name: kind.description for name, kind in WIRE.items()},
                     "null": "null on any optional field means not given"},
            "quirks": {
                "processing_message_key": "messege",
                "pending_output": "",
                "id_types": ["integer", "string", "null"],
                "statuses": ["success", "processing", "error", "failed"],
                "meta_aliases": {"safety_checker": "safetychecker", "lora": "lora_model"},
            },
            "errors": ERRORS,
            "models": {"public": list(PUBLIC_MODELS)},
            # ledger `v3-transport`: where a request's parameters may come from.
            "transport": {"query_parameters": True, "key_header": "key",
                          "precedence": "body, then the query string, then the key header"},
            "limits": {"max_body_bytes": 65536, "temp_link_seconds": 86400,
                       "max_query_bytes": 8192},
            "rules": _cited_rules(),
        },
    }
