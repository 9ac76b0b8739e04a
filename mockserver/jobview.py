"""Jobs and generated images as the dashboard sees them, and ending a job on demand.

The jobs listed are those named by the request journal (the store has no listing, and a
person looks at what they recently asked for): the latest 1,000 requests' jobs. A job's state
is `queued` (fetch still answers processing), `due` (its time has come but nobody fetched it
and no webhook ended it yet), `done` or `failed`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

from mockserver.config import MockConfig
from mockserver.jobs import Job, JobStore
from mockserver.scopes import JournalView

#: The most images the gallery lists, and jobs the jobs view lists (newest first).
GALLERY_SIZE = 200
JOBS_SHOWN = 200
STATES = ("queued", "due", "done", "failed")


class Mock(Protocol):
    """What this module needs of the mock (the engine provides it; nothing here imports it)."""

    @property
    def store(self) -> JobStore: ...

    @property
    def journal(self) -> JournalView: ...

    @property
    def config(self) -> MockConfig: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    def end_job(self, job: Job) -> None:
        """End `job` now, once, with its webhook."""
        ...


def _jobs(mock: Mock) -> list[Job]:
    """The journal's jobs still in the store, newest first."""
    now = mock.clock()
    jobs = [mock.store.get(job_id, now) for job_id in sorted(mock.journal.jobs(), reverse=True)]
    return [job for job in jobs if job is not None]


def state(job: Job, now: float) -> str:
    """queued, due, done or failed (a job set to fail shows failed once its time has come)."""
    if now < job.due and not job.finished:
        return "queued"
    if job.failure is not None:
        return "failed"
    return "done" if job.finished else "due"


def describe(job: Job, now: float) -> dict[str, Any]:
    """A job as JSON for the dashboard (no key: jobs never hold one)."""
    return {"id": job.id, "state": state(job, now), "endpoint": job.endpoint,
            "created": job.created, "due": job.due, "remaining": max(0.0, job.due - now),
            "queued": job.queued, "samples": job.samples, "prompt": job.prompt,
            "seed": job.seed, "width": job.width, "height": job.height,
            "upscale": job.upscale, "webhook": job.webhook, "track_id": job.track_id,
            "message": job.failure}


def job_list(mock: Mock) -> dict[str, Any]:
    now = mock.clock()
    jobs = _jobs(mock)
    states = [state(job, now) for job in jobs]
    counts = {name: states.count(name) for name in STATES}
    return {"jobs": [describe(job, now) for job in jobs[:JOBS_SHOWN]], "counts": counts}


def gallery(mock: Mock) -> dict[str, Any]:
    """Every image that can be shown now: of jobs not failed, due, and not expired."""
    now = mock.clock()
    images: list[dict[str, Any]] = []
    for job in _jobs(mock):
        if job.failure is not None or now < job.due or \
                (job.expires is not None and now >= job.expires):
            continue
        for index, link in enumerate(job.links):
            images.append({"job": job.id, "index": index, "url": job.origin + link,
                           "base64": job.base64, "prompt": job.prompt, "seed": job.seed,
                           "width": job.width * job.upscale,
                           "height": job.height * job.upscale, "created": job.created})
            if len(images) >= GALLERY_SIZE:
                return {"images": images}
    return {"images": images}


def end(mock: Mock, job_id: int, failure: str | None) -> tuple[int, dict[str, Any]]:
    """Finish (`failure` None) or fail a job that has not ended: (HTTP status, answer)."""
    now = mock.clock()
    job = mock.store.get(job_id, now)
    scope = mock.journal.scope
    if job is None or (scope and job.scope != scope):  # a namespace ends only its own jobs
        return 404, {"status": "error", "message": f"no job {job_id}"}
    if job.finished:
        return 409, {"status": "error",
                     "message": f"job {job_id} has already ended ({state(job, now)})"}
    job = dataclasses.replace(job, due=min(job.due, now), failure=failure)
    mock.store.put(job, now)
    mock.end_job(job)
    return 200, {"status": "ok", "job": describe(mock.store.get(job_id, now) or job, now)}
