"""The plugin's documentation shows real tests: every Python block headed by a file name under
tests/examples/ must appear, verbatim, in that file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md"]
BLOCK = re.compile(r"```python\n# (tests/examples/\S+\.py)\n(.*?)```", re.S)


def _excerpts() -> list[tuple[str, str, str]]:
    return [(doc.name, m[1], m[2]) for doc in DOCS
            for m in BLOCK.finditer(doc.read_text(encoding="utf-8"))]


def test_the_docs_have_excerpts() -> None:
    assert len(_excerpts()) >= 5


@pytest.mark.parametrize(("doc", "path", "code"), _excerpts(),
                         ids=[f"{d}:{p}:{i}" for i, (d, p, _) in enumerate(_excerpts())])
def test_each_excerpt_is_in_its_file(doc: str, path: str, code: str) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    assert code.strip() in source, f"{doc} shows code that {path} no longer has:\n{code}"
