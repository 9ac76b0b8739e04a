"""Where the gate's options come from, in this order (the first that sets one wins):

1. the command line;
2. environment variables `MODELSLAB_CONTRACT_<OPTION>` (e.g. `MODELSLAB_CONTRACT_BUDGET=300`,
   `MODELSLAB_CONTRACT_BASE_URL=...`; `MODEL_ID` takes a comma-separated list);
3. `[tool.modelslab-contract]` in the nearest `pyproject.toml` from the working directory up
   (keys as the long options without dashes: `budget = 300`, `base-url = "..."`);
4. the built-in defaults.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "MODELSLAB_CONTRACT_"
TABLE = "modelslab-contract"


def _number(kind: Callable[[str], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a number, not true/false")
        return kind(str(value))
    return convert


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("true or false")


def _ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


#: Option (argparse dest) -> how a value from the environment or pyproject.toml is read.
OPTIONS: Mapping[str, Callable[[Any], Any]] = {
    "base_url": str, "key_env": str, "budget": _number(int), "seed": _number(int),
    "explore": _number(int), "report_dir": Path, "model_id": _ids, "no_progress": _flag,
    "fault_threshold": _number(float), "deadline": _number(float),
}


class SettingsError(ValueError):
    """A setting in the environment or pyproject.toml that cannot be used."""


def find_pyproject(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def from_pyproject(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    table = data.get("tool", {}).get(TABLE, {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.{TABLE}] must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        dest = key.replace("-", "_")
        if dest not in OPTIONS:
            near = difflib.get_close_matches(dest, OPTIONS, n=1)
            hint = f" (did you mean {near[0].replace('_', '-')!r}?)" if near else ""
            raise SettingsError(f"{path}: [tool.{TABLE}] has no option {key!r}{hint}")
        out[dest] = _read(OPTIONS[dest], value, f"{path}: {key}")
    return out


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for dest, kind in OPTIONS.items():
        name = ENV_PREFIX + dest.upper()
        if name in env:
            out[dest] = _read(kind, env[name], name)
    return out


def _read(kind: Callable[[Any], Any], value: Any, where: str) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{where}: cannot use {value!r} ({exc})") from exc


def defaults(start: Path | None = None,
             environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The option defaults the command line starts from: pyproject.toml, then the
    environment on top."""
    return {**from_pyproject(find_pyproject(start)), **from_environment(environ)}
