"""The same tiny client on requests, for code that is not on httpx (see test_requests_client)."""

from __future__ import annotations

import time
from typing import Any

import requests

TEXT2IMG = "/api/v6/images/text2img"


class ModelsLabError(Exception):
    """The API answered an error body (whatever the HTTP status)."""


class ModelsLabClient:
    def __init__(self, key: str, base_url: str = "https://modelslab.com", *,
                 timeout: float = 60.0) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        #: The last body sent, for logging (and for checking it against the contract).
        self.last_request: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"ModelsLabClient({self.base_url})"  # never the key

    def generate(self, prompt: str, *, model_id: str = "midjourney",
                 **options: Any) -> dict[str, Any]:
        """Ask for images; the answer is `success`, `processing` or an error body."""
        self.last_request = {"key": self.key, "model_id": model_id, "prompt": prompt,
                             **options}
        return self._post(self.base_url + TEXT2IMG, self.last_request)

    def wait(self, job: dict[str, Any]) -> dict[str, Any]:
        """Follow a `processing` answer through `fetch_result` until the job ends."""
        deadline = time.monotonic() + self.timeout
        while job.get("status") == "processing":
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job.get('id')} still processing")
            time.sleep(min(max(float(job.get("eta") or 1), 0.05), 5.0))
            job = self._post(job["fetch_result"], {"key": self.key})
        if job.get("status") != "success":
            raise ModelsLabError(job.get("message") or job.get("messege") or job)
        return job

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.session.post(url, json=body, timeout=30)
        data: dict[str, Any] = answer.json()
        return data
