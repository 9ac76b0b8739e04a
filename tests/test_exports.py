"""Every package's facade: `__all__` is exactly its public names, and each of them resolves.

Hypothesis checks its own `__all__` this way: a name added to a facade without being exported,
or exported without existing, fails here instead of surprising a user.
"""

from __future__ import annotations

import importlib
import types
import typing

import pytest

FACADES = ("spec", "spec.authoring", "contracts", "contracts.checks", "contracts.strategies",
           "contracts.gate", "contracts.client", "mockserver")


def _public(module: types.ModuleType) -> set[str]:
    """The names a user sees in the module: not private, not a submodule, not `annotations`."""
    names = set()
    for name in dir(module):
        if name.startswith("_") or name == "annotations":
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) or value is getattr(typing, name, object()):
            continue  # submodules, and typing helpers a lazy facade needs

        names.add(name)
    return names


@pytest.mark.parametrize("name", FACADES)
def test_all_is_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)

    assert len(exported) == len(set(exported)), "a name is exported twice"
    assert _public(module) == set(exported)
    for attribute in exported:
        assert getattr(module, attribute) is not None


def test_the_check_can_fail() -> None:
    fake = types.ModuleType("fake")
    fake.__all__ = ["a"]  # type: ignore[attr-defined]
    fake.a = 1  # type: ignore[attr-defined]
    fake.leaked = 2  # type: ignore[attr-defined]

    assert _public(fake) != set(fake.__all__)  # type: ignore[attr-defined]
