"""Who may use the admin API over HTTP: not a foreign web page.

The API endpoints keep CORS open to any origin (browser frontends call them). The admin API
(`/__mock/`) changes and reads the mock, so a page on another site must not be able to steer
it, by a cross-site request or by DNS rebinding. An admin request over HTTP is refused when:

1. its `Host` names none of the allowed hosts (loopback names, the address the mock is bound
   to, and each `--allow-host`): a rebound DNS name is not one of them (403);
2. it carries an `Origin` (or `Sec-Fetch-Site: cross-site`) that is not one of the allowed
   hosts: a page on another site (403). Preflights get no CORS headers, so browsers stop;
3. it writes (anything but GET and HEAD) without `Content-Type: application/json`: a form or
   `text/plain` post, which browsers send without a preflight (415);
4. an admin token is set (`--admin-token`) and the request does not carry it as
   `Authorization: Bearer TOKEN` (401); `GET /__mock/health` stays open for readiness probes.

For a team mock on a shared host: `--host 0.0.0.0 --allow-host mock.team.lan --admin-token T`
(`--allow-host '*'` accepts any Host and Origin; then the token is the only guard).
In-process adapters (httpx transport, respx) have no browser in front of them: no guard.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ADMIN = "/__mock"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_READS = frozenset({"GET", "HEAD"})


def host_name(authority: str) -> str:
    """The host of a `Host` header value or an origin, lower-case, no port, no brackets."""
    text = authority.strip().lower()
    if "://" in text:
        try:
            return (urlsplit(text).hostname or "").rstrip(".")
        except ValueError:
            return ""
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else ""
    return text.rsplit(":", 1)[0].rstrip(".") if text.count(":") == 1 else text.rstrip(".")


@dataclass(frozen=True)
class AdminGuard:
    """The admin API's guard: the hosts it answers to and, optionally, a token."""

    #: Extra host names allowed in `Host` and `Origin` ("*": any).
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    #: When set, admin requests (but health) must carry `Authorization: Bearer TOKEN`.
    token: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, allow_hosts: Iterable[str] = (), token: str | None = None) -> AdminGuard:
        return cls(frozenset(host_name(h) if h != "*" else "*" for h in allow_hosts),
                   token or None)

    def _allowed(self, host: str, bound: str | None) -> bool:
        return "*" in self.allow_hosts or host in LOOPBACK or host in self.allow_hosts or \
            (bound is not None and host == bound.lower() and bound not in ("0.0.0.0", "::"))

    def refusal(self, method: str, path: str, headers: Mapping[str, str],
                bound: str | None) -> tuple[int, str] | None:
        """None when the admin request may go on, else (status, why)."""
        if not self._allowed(host_name(headers.get("host", "")), bound):
            return 403, "the admin API answers only to its own host names (see --allow-host)"
        origin = headers.get("origin")
        if (origin is not None and not self._allowed(host_name(origin), bound)) or (
                origin is None and headers.get("sec-fetch-site") == "cross-site"):
            return 403, "the admin API is not for other sites' pages"
        if method == "OPTIONS":
            return 403, "no cross-origin use of the admin API"
        if self.token is not None and not (path == ADMIN + "/health" and method in _READS):
            given = headers.get("authorization", "")
            if not hmac.compare_digest(given.encode("utf-8", "replace"),
                                       f"Bearer {self.token}".encode("utf-8", "replace")):
                return 401, "the admin API needs its token (Authorization: Bearer TOKEN)"
        if method not in _READS:
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return 415, "admin writes must be sent as application/json"
        return None
