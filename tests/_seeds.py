"""The vendor's pages, read from ../shared/seeds when the checkout has them beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed_texts() -> dict[str, str]:
    if not SEEDS.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def example_bodies(text: str) -> list[dict[str, Any]]:
    """Every JSON object on the page that is a request body (it names a model_id)."""
    found = []
    for start in re.finditer(r"(?m)^\{\s*$", text):
        end = text.find("\n}", start.start())
        while end != -1:
            try:
                value = json.loads(text[start.start():end + 2])
            except ValueError:
                end = text.find("\n}", end + 2)
                continue
            if isinstance(value, dict) and "model_id" in value:
                found.append(value)
            break
    return found


def vendor_openapi() -> dict[str, Any] | None:
    for text in seed_texts().values():
        if "````yaml POST /text2img" in text:
            document: dict[str, Any] = yaml.safe_load(
                text.split("````yaml POST /text2img", 1)[1].split("````", 1)[0])
            return document
    return None
