"""The README's examples run: plain `python` blocks execute here; blocks headed by a file under
tests/examples/ are excerpts of tests that run there (tests/examples/test_docs.py keeps them
verbatim)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S)
          if not b.startswith(("# tests/examples/", "# conftest.py"))]


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_python_blocks_run(code: str) -> None:
    exec(compile(code, "README.md", "exec"), {})


TEST_COMMAND = "pip install -e '.[test]' && python -m pytest"


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)[0]
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[1].endswith(TEST_COMMAND)
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
