"""Routing as data: which endpoint a concrete path is, and the path of a job's fetch.

The one place a fetch URL is matched: the mock, the gate, the checker and the mutants all ask
`spec.contract().route(path)` instead of matching templates themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

#: Route kinds.
GENERATION, FETCH, IMAGE = "generation", "fetch", "image"


@dataclass(frozen=True)
class Route:
    """What a concrete path is, by the document's routes."""

    #: The schema path, e.g. "/api/v6/images/fetch/{id}".
    template: str
    #: "generation", "fetch" or "image".
    kind: str
    #: The generation endpoint a generation or fetch route belongs to (None for images).
    generation: str | None
    #: What the path held in place of `{id}` (fetch) or `{file}` (image); None when the
    #: template has no placeholder.
    path_id: str | None = None


def _split(template: str, placeholder: str) -> tuple[str, str]:
    head, _, tail = template.partition(placeholder)
    return head, tail


def _segment(value: object, what: str) -> str:
    text = str(value)
    if not text or "/" in text:
        raise ValueError(f"{what} {value!r} cannot be one path segment")
    return text


class Router:
    """Routes built once from the document's `x-contract` (generation, fetch, images)."""

    def __init__(self, generation: tuple[str, ...], fetch: Mapping[str, tuple[str, str]],
                 image_template: str) -> None:
        self.generation_paths = generation
        self.fetch_paths = tuple(fetch)
        self.image_template = image_template
        self.images_prefix, self._image_tail = _split(image_template, "{file}")
        self._exact: dict[str, Route] = {p: Route(p, GENERATION, p) for p in generation}
        #: (head, tail, template, generation) of each template with `{id}` in its path.
        self._by_id: list[tuple[str, str, str, str]] = []
        self._templates: dict[tuple[str, str | None], tuple[str, ...]] = {}
        for template, (gen, id_in) in fetch.items():
            if id_in == "path":
                head, tail = _split(template, "{id}")
                self._by_id.append((head, tail, template, gen))
            else:
                self._exact[template] = Route(template, FETCH, gen)
            for key in ((gen, None), (gen, id_in)):
                self._templates[key] = (*self._templates.get(key, ()), template)
        #: generation -> (head, tail) of the by-id fetch a `fetch_result` URL names.
        self._fetch_of: dict[str, tuple[str, str]] = {}
        for head, tail, _, gen in self._by_id:
            self._fetch_of.setdefault(gen, (head, tail))
        #: template -> (head, tail) around its placeholder, or None when it has none.
        self._parts: dict[str, tuple[str, str] | None] = {p: None for p in self._exact}
        self._parts.update({t: (head, tail) for head, tail, t, _ in self._by_id})
        self._parts[image_template] = (self.images_prefix, self._image_tail)
        #: The mock routes every request: a job's repeated fetches hit this cache.
        self._cached = lru_cache(maxsize=4096)(self._match)

    def route(self, path: str) -> Route | None:
        """The route of a concrete path, or None. A query string and trailing slashes are
        ignored (as the mock ignores them); an id or file name must be one non-empty segment."""
        exact = self._exact.get(path)
        return exact if exact is not None else self._cached(path)

    def _match(self, path: str) -> Route | None:
        if "?" in path:
            path = path.partition("?")[0]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        exact = self._exact.get(path)
        if exact is not None:
            return exact
        for head, tail, template, gen in self._by_id:
            if path.startswith(head) and path.endswith(tail):
                found = path[len(head):len(path) - len(tail)]
                if found and "/" not in found and len(path) >= len(head) + len(tail):
                    return Route(template, FETCH, gen, found)
        prefix, tail = self.images_prefix, self._image_tail
        if path.startswith(prefix) and path.endswith(tail):
            name = path[len(prefix):len(path) - len(tail)]
            if name and "/" not in name and len(path) >= len(prefix) + len(tail):
                return Route(self.image_template, IMAGE, None, name)
        return None

    def fetch_path(self, generation: str, job_id: object) -> str:
        """The concrete by-id fetch path of a job of `generation` (what `fetch_result` names).

        Raises KeyError for an endpoint with no by-id fetch, ValueError for an id that cannot
        be one path segment (empty, or holding '/')."""
        head, tail = self._fetch_of[generation]
        return head + _segment(job_id, "job id") + tail

    def path_of(self, template: str, path_id: object = None) -> str:
        """The concrete path of a route: `template` with `path_id` in place of its `{id}` or
        `{file}` (a template without one is its own path; `path_id` is then ignored).

        Raises KeyError for a template that is no route, ValueError for a missing id or one
        that cannot be one path segment."""
        parts = self._parts[template]
        if parts is None:
            return template
        return parts[0] + _segment("" if path_id is None else path_id, "path id") + parts[1]

    def fetch_templates(self, generation: str, id_in: str | None = None) -> tuple[str, ...]:
        """The fetch templates serving `generation`, in document order; `id_in` ("path" or
        "body") keeps one form only."""
        return self._templates.get((generation, id_in), ())

    def image_path(self, name: str) -> str:
        """The path a generated image file is served at."""
        return self.images_prefix + _segment(name, "image name") + self._image_tail
