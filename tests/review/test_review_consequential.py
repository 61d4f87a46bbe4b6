"""The in-memory indexes the apply path and the proxy ask on every request: loaded, then reloaded
once ``ttl_s`` old (the clock is the module's ``time.monotonic``, set by hand here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from steward.review import consequential
from steward.review.consequential import ConsequentialIndex, SystemIndex


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(consequential, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_the_consequential_set_is_stale_until_loaded_and_again_after_its_ttl(clock: list[float]) -> None:
    loads: list[set[tuple[str, str]]] = [{("g1", "1")}, {("g2", "3")}]
    index = ConsequentialIndex(lambda: loads.pop(0), ttl_s=30)
    assert index.stale and not index.covers("g1", "1")
    index.refresh()
    assert not index.stale and index.covers("g1", "1") and not index.covers("g1", "2")
    assert not index.covers(None, "1") and not index.covers("g1", None)
    clock[0] += 30
    assert not index.stale  # exactly ttl_s old is still fresh
    clock[0] += 1
    assert index.stale
    index.refresh()
    assert index.covers("g2", "3") and not index.covers("g1", "1") and not index.stale


def test_the_system_index_prefers_the_exact_version_and_the_smallest_system_id(clock: list[float]) -> None:
    index = SystemIndex(lambda: [("g", "2", "sys-b"), ("g", "1", "sys-c"), ("g", "2", "sys-a")], ttl_s=5)
    assert index.stale and index.system_for("g", "2") is None
    index.refresh()
    assert not index.stale
    assert index.system_for("g", "2") == "sys-a"
    assert index.system_for("g", "1") == "sys-c"
    assert index.system_for("g", "9") == "sys-a"  # another version: a system listing the guardrail
    assert index.system_for("other", "1") is None
    clock[0] += 6
    assert index.stale
