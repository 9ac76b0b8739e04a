"""The admin endpoints the dashboard added: the page itself, the journal page by page,
jobs (finish or fail one now), the gallery and the admin API's OpenAPI document.

`admin.admin` asks `route` first; `None` means "not one of these" and the older endpoints
answer. The page is static (HTML, JS, CSS in `mockserver/static/`, shipped in the wheel, no
build step, no CDN) and talks to the mock only through the admin API.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from mockserver import jobview
from mockserver.admin_openapi import DOCUMENT
from mockserver.request import whole_number
from mockserver.response import MockResponse, json_response

#: Journal entries one poll returns at most (and by default).
PAGE_LIMIT = 1000
_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
          "css": "text/css; charset=utf-8"}
#: The page loads nothing from elsewhere; images may come from the mock's configured origin.
_CSP = ("default-src 'self'; img-src 'self' data: http: https:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
_ASSETS = ("dashboard.js", "dashboard.css")


def route(mock: jobview.Mock, method: str, name: str, rest: str, body: bytes,
          query: str) -> MockResponse | None:
    """The answer for `/__mock/{name}/{rest}`, or None when another handler owns it."""
    if method not in ("GET", "HEAD", "POST"):
        return None
    if name == "" and method != "POST":
        return _static("index.html")
    if name == "ui" and method != "POST" and rest in _ASSETS:
        return _static(rest)
    if name == "openapi.json" and method != "POST":
        return json_response(200, DOCUMENT)
    if name == "journal" and method == "GET" and query:
        return _journal_page(mock, query)
    if name == "jobs":
        return _jobs(mock, method, rest, body)
    if name == "images" and method != "POST":
        return json_response(200, jobview.gallery(mock))
    return None


def _jobs(mock: jobview.Mock, method: str, rest: str, body: bytes) -> MockResponse | None:
    if not rest:
        return json_response(200, jobview.job_list(mock)) if method != "POST" else None
    job_id, _, action = rest.partition("/")
    if method != "POST" or action not in ("finish", "fail"):
        return None
    number = whole_number(job_id)
    if number is None:
        return _problem(404, f"no job {job_id!r}")
    failure = None
    if action == "fail":
        failure = _message(body)
        if failure is None:
            return _problem(422, 'the body must be empty or {"message": "..."}')
    status, answer = jobview.end(mock, number, failure)
    return json_response(status, answer)


def _message(body: bytes) -> str | None:
    """The failure message of a `fail` body: empty means the real API's "Failed, Try Again"."""
    try:
        data: Any = json.loads(body) if body.strip() else {}
    except ValueError:
        return None
    message = data.get("message", "Failed, Try Again") if isinstance(data, dict) else None
    return message if isinstance(message, str) and message else None


def _journal_page(mock: jobview.Mock, query: str) -> MockResponse:
    params = parse_qs(query)
    try:
        since = int(params.get("since", ["0"])[0])
        limit = int(params.get("limit", [str(PAGE_LIMIT)])[0])
    except ValueError:
        return _problem(422, "since and limit must be integers")
    limit = max(1, min(limit, PAGE_LIMIT))
    last = mock.journal.last_seq()
    return json_response(200, {"entries": mock.journal.since(since, limit), "last_seq": last})


@cache
def _asset(name: str) -> bytes:
    return resources.files("mockserver").joinpath("static", name).read_bytes()


def _static(name: str) -> MockResponse:
    headers = {"content-type": _TYPES[name.rsplit(".", 1)[1]], "cache-control": "no-cache",
               "x-content-type-options": "nosniff", "content-security-policy": _CSP,
               "referrer-policy": "no-referrer"}
    return MockResponse(200, headers, _asset(name))


def _problem(status: int, message: str) -> MockResponse:
    return json_response(status, {"status": "error", "message": message})
