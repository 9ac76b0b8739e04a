"""Compare another OpenAPI document with ours, rule by rule: what a newer vendor spec changed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Change:
    """One difference, phrased from our document's point of view."""

    kind: str  # added, removed, narrowed, widened, changed
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:<8} {self.where}: {self.detail}"


def _resolve(doc: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Inline local $refs and merge allOf, so the two documents compare by content."""
    if depth > 20:
        return node
    if isinstance(node, Mapping):
        if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
            target: Any = doc
            for part in node["$ref"][2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _resolve(doc, merged, depth + 1)
        out = {k: _resolve(doc, v, depth + 1) for k, v in node.items() if k != "allOf"}
        for part in node.get("allOf", ()):
            resolved = _resolve(doc, part, depth + 1)
            if isinstance(resolved, Mapping):
                props = {**resolved.get("properties", {}), **out.get("properties", {})}
                out = {**resolved, **out, "properties": props}
        return out
    if isinstance(node, list):
        return [_resolve(doc, v, depth + 1) for v in node]
    return node


def _operations(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    servers = doc.get("servers") or [{}]
    prefix = ""
    url = str(servers[0].get("url", ""))
    if "://" in url:
        prefix = "/" + url.split("://", 1)[1].partition("/")[2]
        prefix = prefix.rstrip("/")
    ops = {}
    for path, item in (doc.get("paths") or {}).items():
        for method in _METHODS:
            if isinstance(item, Mapping) and method in item:
                ops[f"{method.upper()} {prefix}{path}"] = _resolve(doc, item[method])
    return ops


def _body_properties(op: Mapping[str, Any]) -> dict[str, Any]:
    content = (op.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    return dict(schema.get("properties") or {})


def _types(schema: Mapping[str, Any]) -> set[str]:
    t = schema.get("type")
    types = set(t) if isinstance(t, list) else ({t} if t else set())
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, ()):
            if isinstance(sub, Mapping):
                types |= _types(sub)
    if schema.get("nullable"):
        types.add("null")
    return types


def _bound(schema: Mapping[str, Any], key: str) -> float | None:
    value = schema.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _compare_param(where: str, ours: Mapping[str, Any],
                   theirs: Mapping[str, Any]) -> Iterator[Change]:
    a, b = _types(ours), _types(theirs)
    if a != b:
        if b < a:
            yield Change("narrowed", where, f"types {sorted(a)} -> {sorted(b)}")
        elif a < b:
            yield Change("widened", where, f"types {sorted(a)} -> {sorted(b)}")
        else:
            yield Change("changed", where, f"types {sorted(a)} -> {sorted(b)}")
    for key in ("minimum", "maximum"):
        o, t = _bound(ours, key), _bound(theirs, key)
        if o == t:
            continue
        if o is None:
            yield Change("narrowed", where, f"{key} added: {t}")
        elif t is None:
            yield Change("widened", where, f"{key} removed (was {o})")
        else:
            tighter = t > o if key == "minimum" else t < o
            yield Change("narrowed" if tighter else "widened", where, f"{key} {o} -> {t}")
    oe = {v for v in ours.get("enum") or () if v is not None}
    te = {v for v in theirs.get("enum") or () if v is not None}
    if oe != te and (oe or te):
        if not te:
            yield Change("widened", where, "enum removed")
        elif not oe:
            yield Change("narrowed", where, f"enum added ({len(te)} values)")
        else:
            for v in sorted(te - oe, key=str):
                yield Change("widened", where, f"enum value added: {v!r}")
            for v in sorted(oe - te, key=str):
                yield Change("narrowed", where, f"enum value removed: {v!r}")
    if ours.get("default") != theirs.get("default") and "default" in theirs:
        yield Change("changed", where,
                     f"default {ours.get('default')!r} -> {theirs.get('default')!r}")


def diff_documents(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[Change]:
    """Every endpoint, parameter, enum and range that differs between the two documents."""
    changes: list[Change] = []
    our_ops, their_ops = _operations(ours), _operations(theirs)
    for op in sorted(set(their_ops) - set(our_ops)):
        changes.append(Change("added", op, "endpoint only in the other document"))
    for op in sorted(set(our_ops) - set(their_ops)):
        changes.append(Change("removed", op, "endpoint missing from the other document"))
    for op in sorted(set(our_ops) & set(their_ops)):
        mine, other = _body_properties(our_ops[op]), _body_properties(their_ops[op])
        for name in sorted(set(other) - set(mine)):
            changes.append(Change("added", f"{op} {name}", "parameter only in the other"))
        for name in sorted(set(mine) - set(other)):
            changes.append(Change("removed", f"{op} {name}", "parameter missing from the other"))
        for name in sorted(set(mine) & set(other)):
            changes.extend(_compare_param(f"{op} {name}", mine[name], other[name]))
    return changes
