"""Fixtures for the governance tests; builders live in ``govern_builders``."""

from __future__ import annotations

import datetime as dt

import pytest
from govern_builders import NOW


@pytest.fixture
def now() -> dt.datetime:
    return NOW
