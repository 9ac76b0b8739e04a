"""Render the resolved fields and shapes as one OpenAPI 3.1 document with `x-contract`."""

from __future__ import annotations

from typing import Any

from spec._fields import GENERATION_FIELDS, Field

INT_PATTERN = r"^\s*[+-]?\d+\s*$"
NUMBER_PATTERN = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
FLAG_PATTERN = r"^\s*([Yy][Ee][Ss]|[Nn][Oo]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$"
UPSCALE_PATTERN = r"^\s*([Yy][Ee][Ss]|[Nn][Oo]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[123])\s*$"
LIST_PATTERN = r"^[^,]*(,[^,]*)*$"
STRENGTH_PATTERN = (r"^\s*(\d+\.?\d*|\.\d+)\s*(,\s*(\d+\.?\d*|\.\d+)\s*)*,?\s*$")

MOCK_ORIGIN = "http://127.0.0.1:4010"

ERRORS: dict[str, dict[str, Any]] = {
    # name: HTTP status in http mode and the message the real API uses
    "validation": {"http": 422, "message": "Validation failed"},
    "invalid_key": {"http": 401, "message": "Invalid Api Key"},
    "no_credits": {"http": 402, "message": "Insufficient credits"},
    "unknown_job": {"http": 404, "message": "Request id not found"},
    "unknown_model": {"http": 404, "message": "Model id not found"},
    "rate_limit": {"http": 429, "message": "Rate limit exceeded"},
    "failed": {"http": 200, "message": "Failed, Try Again"},
    "server": {"http": 500, "message": "Server error, try again later"},
    "payload_too_large": {"http": 413, "message": "Request body too large"},
}


def _property(f: Field) -> dict[str, Any]:
    nullable = not f.required
    schema: dict[str, Any]
    if f.kind in ("string", "url", "id_list"):
        schema = {"type": "string"}
    elif f.kind in ("integer", "seed"):
        schema = {"type": ["integer", "string"], "pattern": INT_PATTERN}
    elif f.kind == "number":
        schema = {"type": ["number", "string"], "pattern": NUMBER_PATTERN}
    elif f.kind == "flag":
        schema = {"type": ["string", "boolean"], "pattern": FLAG_PATTERN}
    elif f.kind == "enum":
        assert f.enum is not None
        schema = {"type": "string", "enum": [*f.enum, *f.aliases]}
    elif f.kind == "upscale":
        schema = {"type": ["string", "integer", "boolean"], "pattern": UPSCALE_PATTERN}
    elif f.kind == "strength_list":
        schema = {"type": ["string", "number"], "pattern": STRENGTH_PATTERN}
    elif f.kind == "track_id":
        schema = {"type": ["integer", "string"]}
    else:  # pragma: no cover - guarded by the fields test
        raise ValueError(f"unknown kind {f.kind}")
    if f.kind == "id_list":
        schema["pattern"] = LIST_PATTERN
    for key, value in (("minimum", f.minimum), ("maximum", f.maximum),
                       ("multipleOf", f.multiple_of)):
        if value is not None:
            schema[key] = value
    if nullable:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = [*types, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
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
_META = {"type": "object", "additionalProperties": True}
_MESSAGE = {"oneOf": [{"type": "string"},
                      {"type": "object", "additionalProperties": {
                          "type": "array", "items": {"type": "string"}}}]}

SCHEMAS: dict[str, Any] = {
    "SuccessResponse": {
        "type": "object", "required": ["status", "output"],
        "properties": {
            "status": {"const": "success"}, "generationTime": {"type": "number"},
            "id": _ID, "output": _LINKS, "proxy_links": _LINKS, "meta": _META,
            "nsfw_content_detected": {"type": "boolean"}, "webhook_status": {"type": "string"},
            "tip": {"type": "string"}, "warning": {"type": "string"},
        },
    },
    "ProcessingResponse": {
        "type": "object", "required": ["status", "id"],
        "properties": {
            "status": {"const": "processing"}, "tip": {"type": "string"},
            "tip_1": {"type": "string"}, "eta": {"type": "number"},
            "message": {"type": "string"}, "messege": {"type": "string"},
            "webhook_status": {"type": "string"}, "fetch_result": {"type": "string"},
            "id": _ID, "output": {"oneOf": [_LINKS, {"const": ""}]}, "meta": _META,
            "future_links": _LINKS, "warning": {"type": "string"},
        },
    },
    "ErrorResponse": {
        "type": "object", "required": ["status"],
        "anyOf": [{"required": ["message"]}, {"required": ["messege"]}],
        "properties": {
            "status": {"enum": ["error", "failed"]}, "message": _MESSAGE,
            "messege": _MESSAGE, "tip": {"type": "string"}, "tips": {},
            "id": _ID,
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


FETCH_PATHS = {
    "/api/v6/images/fetch": ("/api/v6/images/text2img", False),
    "/api/v6/images/fetch/{id}": ("/api/v6/images/text2img", True),
    "/api/v4/dreambooth/fetch": ("/api/v4/dreambooth", False),
    "/api/v4/dreambooth/fetch/{id}": ("/api/v4/dreambooth", True),
    "/api/v3/dreambooth/fetch/{id}": ("/api/v4/dreambooth", True),
}


def _cited_rules() -> list[str]:
    cited = {r for fields in GENERATION_FIELDS.values() for f in fields for r in f.rules}
    return sorted(cited | {"lora.count", "flux.warning"})


def build_document() -> dict[str, Any]:
    """The whole authoritative document, as plain data ready for YAML."""
    schemas = {
        "Text2ImgRequest": _request_schema(GENERATION_FIELDS["/api/v6/images/text2img"], "v6"),
        "DreamboothRequest": _request_schema(GENERATION_FIELDS["/api/v4/dreambooth"], "v4"),
        **SCHEMAS,
    }
    paths: dict[str, Any] = {
        "/api/v6/images/text2img": _post("Text to image (community models, LoRA, multi-LoRA)",
                                         "Text2ImgRequest"),
        "/api/v4/dreambooth": _post("Dreambooth text to image (older API)",
                                    "DreamboothRequest"),
    }
    for path, (_, by_id) in FETCH_PATHS.items():
        paths[path] = _post("Fetch a queued job", "FetchByIdRequest" if by_id else "FetchRequest",
                            path_id=by_id)
    paths["/generations/{file}"] = {"get": {
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
                           "spec/sources; spec/LEDGER.md records every conflict between them "
                           "and how it was resolved. Do not edit by hand.",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": "https://modelslab.com", "description": "the real API"},
                    {"url": MOCK_ORIGIN, "description": "modelslab-contract mock"}],
        "paths": paths,
        "components": {"schemas": schemas},
        "x-contract": {
            "generation": {
                path: {"request": "Text2ImgRequest" if "v6" in path else "DreamboothRequest"}
                for path in GENERATION_FIELDS
            },
            "fetch": {path: {"generation": gen, "id_in": "path" if by_id else "body"}
                      for path, (gen, by_id) in FETCH_PATHS.items()},
            "cross_field": {
                "lora.count": "the number of lora_strength values equals the number of "
                              "lora_model ids; strengths without ids are a mismatch",
                "flux.warning": "flux models ignore unsupported parameters and say so in "
                                "`warning`",
            },
            "flux": {
                "models": ["flux", "fluxschnell", "fluxdev"],
                "unsupported": ["negative_prompt", "enhance_prompt", "enhance_style",
                                "lora_model", "ip_adapter_id", "embeddings_model", "upscale",
                                "highres_fix"],
            },
            "wire": {
                "integer": "JSON integer, integral JSON number, or decimal string",
                "number": "JSON number or decimal string",
                "flag": "yes/no or true/false (JSON or string), any case; echoed yes/no",
                "upscale": "yes/no, true/false, or a factor 1-3 (integer or string)",
                "id_list": "comma-separated ids, trimmed; one trailing comma tolerated",
                "strength_list": "comma-separated numbers or one JSON number",
                "null": "null on any optional field means not given",
            },
            "quirks": {
                "processing_message_key": "messege",
                "pending_output": "",
                "id_types": ["integer", "string", "null"],
                "statuses": ["success", "processing", "error", "failed"],
                "meta_aliases": {"safety_checker": "safetychecker", "lora": "lora_model"},
            },
            "errors": ERRORS,
            "limits": {"max_body_bytes": 65536, "temp_link_seconds": 86400},
            "rules": _cited_rules(),
        },
    }
