"""Supervision of `--workers N`: a worker never outlives its master.

uvicorn's master stops its workers on SIGTERM/SIGINT; a master killed outright (SIGKILL, OOM)
cannot, and its workers would keep the port. Each worker therefore watches its parent: when
the parent is gone (the worker was re-parented), it stops itself the graceful way (SIGTERM,
then at most `SHUTDOWN_GRACE` seconds for requests in flight).
"""

from __future__ import annotations

import os
import signal
import threading

#: Seconds a stopping mock waits for requests in flight before closing them.
SHUTDOWN_GRACE = 5
#: Seconds between two looks at the parent process.
PARENT_POLL = 0.5


def watch_parent(parent: int | None = None, poll: float = PARENT_POLL) -> threading.Thread:
    """Start a daemon thread that sends this process SIGTERM once `parent` (default: the
    current parent) is no longer its parent."""
    expected = os.getppid() if parent is None else parent
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(poll):
            if os.getppid() != expected:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=run, name="mock-parent-watch", daemon=True)
    thread.start()
    return thread
