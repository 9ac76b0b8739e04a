"""Read the committed authoritative document: the one place every limit is taken from."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spec._field import Field
from spec._routes import Route, Router

SCHEMA_PATH = Path(__file__).parent / "modelslab.yaml"


@cache
def load_document() -> Mapping[str, Any]:
    """The parsed `modelslab.yaml` (cached; treat as read-only)."""
    import yaml  # here, not at import: the pytest plugin imports this package for nothing

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 4-5x faster when built
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        document: dict[str, Any] = yaml.load(fh, Loader=loader)  # a safe loader, either way
    return document


def _field(name: str, schema: Mapping[str, Any], required: bool) -> Field:
    contract = schema["x-contract"]
    aliases = contract.get("aliases", {})
    enum = schema.get("enum")
    return Field(
        name=name,
        kind=contract["kind"],
        required=required,
        minimum=schema.get("minimum"),
        maximum=schema.get("maximum"),
        cap=contract.get("cap"),
        multiple_of=schema.get("multipleOf"),
        default=schema.get("default"),
        enum=tuple(v for v in enum if v is not None and v not in aliases) if enum else None,
        aliases=MappingProxyType(dict(aliases)),
        rules=tuple(contract.get("rules", ())),
        ledger=tuple(contract.get("ledger", ())),
    )


@dataclass(frozen=True)
class Contract:
    """The parts of the document that code acts on, typed."""

    #: Generation endpoint path -> its fields.
    generation: Mapping[str, tuple[Field, ...]]
    #: Fetch endpoint path -> (generation endpoint it serves, "path" or "body" for the id).
    fetch: Mapping[str, tuple[str, str]]
    errors: Mapping[str, Mapping[str, Any]]
    quirks: Mapping[str, Any]
    flux_models: tuple[str, ...]
    flux_unsupported: tuple[str, ...]
    limits: Mapping[str, Any]
    #: Every rule id the document cites.
    rules: tuple[str, ...]
    #: The path template generated images are served at ("/generations/{file}").
    images: str
    #: Generation endpoint -> its job family (a fetch finds the jobs of its family).
    families: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: Generation endpoint without a model_id -> the model its answers name.
    fixed_models: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: The flux family's steps cap (other models: the field's own).
    flux_steps_cap: float | None = None
    #: Documented public model ids (the mock's `--models public`).
    public_models: tuple[str, ...] = ()
    _router: Router = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_router", Router(tuple(self.generation), self.fetch,
                                                   self.images))

    def same_jobs(self, made_on: str, fetched_on: str) -> bool:
        """A job made on `made_on` is found by a fetch of `fetched_on`'s family."""
        return made_on == fetched_on or \
            self.families.get(made_on, made_on) == self.families.get(fetched_on, fetched_on)

    def has_field(self, endpoint: str, name: str) -> bool:
        return any(f.name == name for f in self.generation.get(endpoint, ()))

    def field(self, endpoint: str, name: str) -> Field:
        for f in self.generation[endpoint]:
            if f.name == name:
                return f
        raise KeyError(name)

    # -- routing (see spec/_routes.py) ------------------------------------------------------

    @property
    def generation_paths(self) -> tuple[str, ...]:
        """Generation endpoints, in document order."""
        return self._router.generation_paths

    @property
    def fetch_paths(self) -> tuple[str, ...]:
        """Fetch templates, in document order."""
        return self._router.fetch_paths

    @property
    def images_prefix(self) -> str:
        """What every generated image's path starts with ("/generations/")."""
        return self._router.images_prefix

    def route(self, path: str) -> Route | None:
        """The route of a concrete path (query and trailing slashes ignored), or None."""
        return self._router.route(path)

    def fetch_path(self, generation: str, job_id: object) -> str:
        """The concrete by-id fetch path of a job of `generation`, as `fetch_result` names it.
        KeyError: no by-id fetch for `generation`; ValueError: `job_id` is empty or holds '/'."""
        return self._router.fetch_path(generation, job_id)

    def path_of(self, template: str, path_id: object = None) -> str:
        """The concrete path of a route template, `path_id` filling its `{id}`/`{file}` (the
        inverse of `route`). KeyError: not a route; ValueError: an id a path cannot carry."""
        return self._router.path_of(template, path_id)

    def fetch_templates(self, generation: str, id_in: str | None = None) -> tuple[str, ...]:
        """The fetch templates of `generation` in document order; `id_in` ("path"/"body")
        keeps one form. Empty for an unknown endpoint."""
        return self._router.fetch_templates(generation, id_in)

    def image_path(self, name: str) -> str:
        """The path an image file is served at. ValueError: `name` is empty or holds '/'."""
        return self._router.image_path(name)


@cache
def contract() -> Contract:
    doc = load_document()
    x = doc["x-contract"]
    schemas = doc["components"]["schemas"]
    generation = {}
    for path, info in x["generation"].items():
        schema = schemas[info["request"]]
        required = set(schema.get("required", ()))
        generation[path] = tuple(_field(n, s, n in required)
                                 for n, s in schema["properties"].items())
    return Contract(
        generation=MappingProxyType(generation),
        fetch=MappingProxyType({p: (i["generation"], i["id_in"]) for p, i in x["fetch"].items()}),
        errors=MappingProxyType(x["errors"]),
        quirks=MappingProxyType(x["quirks"]),
        flux_models=tuple(x["flux"]["models"]),
        flux_unsupported=tuple(x["flux"]["unsupported"]),
        limits=MappingProxyType(x["limits"]),
        rules=tuple(x["rules"]),
        images=x["images"],
        families=MappingProxyType({p: i.get("jobs", p) for p, i in x["generation"].items()}),
        fixed_models=MappingProxyType({p: i["model"] for p, i in x["generation"].items()
                                       if "model" in i}),
        flux_steps_cap=x["flux"].get("steps_cap"),
        public_models=tuple(x.get("models", {}).get("public", ())),
    )
