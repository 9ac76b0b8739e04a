"""The vendor's official CLI (`modelslab-cli` on PyPI, a test dependency) against the mock on a
real port: `generate image` with the mock answering at once, with every job queued, and with
every job failing. It posts to /api/v7/images/text-to-image and polls /api/v7/images/fetch/{id}
(about 1 s after submitting, then 2 s later, ...), then downloads each link with a plain GET.

The CLI saves whatever a download answers (even a 404's empty body), so the files' contents are
checked, not just their existence.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mockserver import LiveServer, MockConfig

# A test dependency wherever its wheel exists (Linux x86-64, as CI).
pytest.importorskip("modelslab_cli")

KEY = "cli-test-key"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    with LiveServer(MockConfig(accepted_keys=frozenset({KEY}), eta=0.5)) as server:
        yield server


def _cli(live: LiveServer, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "MODELSLAB_NO_UPDATE_CHECK": "1"}
    env.pop("MODELSLAB_API_KEY", None)
    env.pop("MODELSLAB_BASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "modelslab_cli", "--no-update-check", "--no-color",
         "--base-url", live.url, "--api-key", KEY, "generate", "image", *args,
         "--timeout", "30s"],
        env=env, capture_output=True, text=True, timeout=60, check=False)


def _images(folder: Path) -> list[tuple[int, int]]:
    sizes = []
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG"), (path, data[:40])
        with Image.open(io.BytesIO(data)) as img:
            sizes.append(img.size)
    return sizes


@pytest.mark.parametrize("queue", ["never", "always"])
def test_generate_image_completes_and_downloads_the_files(live: LiveServer, tmp_path: Path,
                                                          queue: str) -> None:
    live.engine.reset()
    live.engine.configure(queue=queue)
    out = tmp_path / "out"

    done = _cli(live, tmp_path, "--prompt", "a red apple", "--width", "512", "--height", "256",
                "--samples", "2", "--output-dir", str(out))

    assert done.returncode == 0, done.stdout + done.stderr
    assert _images(out) == [(512, 256), (512, 256)]  # each file once (no future_links)
    outcomes = [e["outcome"] for e in live.engine.journal.entries("request")]
    if queue == "always":
        assert outcomes[0] == "processing" and outcomes[-1] == "success", outcomes
        assert any(e["path"].startswith("/api/v7/images/fetch/")
                   for e in live.engine.journal.entries("request"))
    else:
        assert outcomes == ["success"]
    assert KEY not in done.stdout + done.stderr


def test_generate_image_with_a_model_and_every_flag(live: LiveServer, tmp_path: Path) -> None:
    live.engine.reset()

    done = _cli(live, tmp_path, "--prompt", "p", "--model", "flux", "--width", "256",
                "--height", "256", "--steps", "30", "--guidance", "7.5", "--seed", "42",
                "--negative-prompt", "blurry", "--output-dir", str(tmp_path / "o"))

    assert done.returncode == 0, done.stdout + done.stderr
    assert _images(tmp_path / "o") == [(256, 256)]


def test_a_job_that_fails_ends_the_cli_with_its_message(live: LiveServer,
                                                        tmp_path: Path) -> None:
    live.engine.reset()
    live.engine.scenario("failing-jobs")
    live.engine.configure(eta=0.5)

    done = _cli(live, tmp_path, "--prompt", "p", "--width", "256", "--height", "256",
                "--output-dir", str(tmp_path / "o"))

    assert done.returncode == 1
    assert "Failed, Try Again" in done.stdout + done.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
