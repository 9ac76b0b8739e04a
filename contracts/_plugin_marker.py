"""The pytest plugin's `modelslab` marker read and checked, and a test's namespace on a
shared mock named.

Private to `contracts.plugin`; imports only the standard library, pytest and
`contracts.control` (mockserver is asked by the plugin, which may import it lazily).
"""

from __future__ import annotations

import difflib
import hashlib
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

from contracts.control import in_namespace

if TYPE_CHECKING:
    from contracts.control import Server

#: Names this process's test namespaces on a shared mock apart from other runs' and workers'.
RUN = uuid.uuid4().hex[:8]


def marker_settings(node: pytest.Item) -> dict[str, Any]:
    """The settings of every `modelslab` marker on `node`; the closest marker wins."""
    changes: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("modelslab"))):
        if marker.args:
            pytest.fail(f"{node.nodeid}: @pytest.mark.modelslab takes keyword settings only "
                        "(queue=..., error_mode=..., quirks=..., latency=..., seed=...)",
                        pytrace=False)
        changes.update(marker.kwargs)
    return changes


def refuse_unknown(node: pytest.Item, changes: dict[str, Any], known: Iterable[str]) -> None:
    """Fail the test on a marker setting the mock does not have, suggesting the closest."""
    known = list(known)
    for name in changes:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            pytest.fail(f"{node.nodeid}: @pytest.mark.modelslab: unknown setting(s): {name}"
                        f"{hint}", pytrace=False)


def namespaced(server: Server, nodeid: str) -> Server:
    """`server` seen through the test's own namespace (`/__ns/{name}`)."""
    from contracts.control import HttpMockControl, Server

    name = f"pytest-{RUN}-{hashlib.sha256(nodeid.encode()).hexdigest()[:16]}"
    control = server.control
    admin = control.url if isinstance(control, HttpMockControl) else server.url
    return Server(in_namespace(server.url, name), HttpMockControl(in_namespace(admin, name)),
                  engine=server.engine)
