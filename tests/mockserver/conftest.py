"""Fixtures for the mock's tests: engines on a fake clock with a recording webhook sender."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mockserver._support import Mock, make_mock


@pytest.fixture
def mock() -> Iterator[Mock]:
    m = make_mock()
    yield m
    m.engine.close()


@pytest.fixture
def http_mock() -> Iterator[Mock]:
    m = make_mock(error_mode="http")
    yield m
    m.engine.close()
