"""A tiny ModelsLab client on httpx, the kind an SDK starts from (tested in test_httpx_client)."""

from __future__ import annotations

import time
from typing import Any

import httpx

TEXT2IMG = "/api/v6/images/text2img"


class ModelsLabError(Exception):
    """The API answered an error body (whatever the HTTP status)."""


class ModelsLabClient:
    def __init__(self, key: str, base_url: str = "https://modelslab.com", *,
                 timeout: float = 60.0, http: httpx.Client | None = None) -> None:
        self.key = key
        self.timeout = timeout
        self.http = http or httpx.Client(base_url=base_url, timeout=30.0)
        #: The last body sent, for logging (and for checking it against the contract).
        self.last_request: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"ModelsLabClient({self.http.base_url!s})"  # never the key

    def generate(self, prompt: str, *, model_id: str = "midjourney",
                 **options: Any) -> dict[str, Any]:
        """Ask for images; the answer is `success`, `processing` or an error body."""
        self.last_request = {"key": self.key, "model_id": model_id, "prompt": prompt,
                             **options}
        return self._post(TEXT2IMG, self.last_request)

    def wait(self, job: dict[str, Any]) -> dict[str, Any]:
        """Follow a `processing` answer through `fetch_result` until the job ends."""
        deadline = time.monotonic() + self.timeout
        while job.get("status") == "processing":
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job.get('id')} still processing")
            time.sleep(min(max(float(job.get("eta") or 1), 0.05), 5.0))
            job = self._post(job["fetch_result"], {"key": self.key})
        if job.get("status") != "success":
            # Real error bodies carry `message`; processing ones spell it `messege`.
            raise ModelsLabError(job.get("message") or job.get("messege") or job)
        return job

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(url, json=body)
        data: dict[str, Any] = answer.json()
        return data
