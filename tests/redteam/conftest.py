"""Fixtures for the red-team tests: a scripted model on loopback and a deterministic policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redteam_fakes import REGEX_POLICY, Upstream, reply, running_upstream

from steward.guard import Guard
from steward.policy import parse_policy


@pytest.fixture(scope="session")
def fake_model() -> Iterator[Upstream]:
    with running_upstream(reply) as state:
        yield state


@pytest.fixture
def model(fake_model: Upstream) -> Upstream:
    fake_model.clear()
    return fake_model


@pytest.fixture(scope="session")
def regex_guard() -> Guard:
    return Guard(parse_policy(REGEX_POLICY))
