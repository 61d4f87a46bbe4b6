"""The in-memory indexes the apply path and the proxy ask on every request: loaded, then reloaded
once ``ttl_s`` old (the clock is the module's ``time.monotonic``, set by hand here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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


def test_a_stale_index_reloads_in_the_background_once_and_keeps_serving_meanwhile(
    clock: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    gate, loads = threading.Event(), [0]

    def load() -> list[tuple[str, str]]:
        loads[0] += 1
        if loads[0] == 2:
            gate.wait(5)  # the background reload takes a while
        if loads[0] == 3:
            raise RuntimeError("database restarting")
        return [("g", str(loads[0]))]

    index = ConsequentialIndex(load, ttl_s=30)
    assert not index.loaded
    index.refresh()
    assert index.loaded and index.covers("g", "1")
    clock[0] += 31
    assert index.refresh_in_background() and not index.refresh_in_background()  # one reload at a time
    assert index.covers("g", "1") and not index.covers("g", "2")  # the last set, while it reloads
    gate.set()
    _wait(lambda: index.covers("g", "2"))
    assert not index.stale
    clock[0] += 31
    with caplog.at_level("WARNING", logger="steward.review.consequential"):
        assert index.refresh_in_background()
        _wait(lambda: "reload failed (RuntimeError)" in caplog.text)
    _wait(lambda: index.refresh_in_background())  # the failed reload let go of its turn
    _wait(lambda: index.covers("g", "4"))


def test_a_failed_reload_is_tried_again_after_a_pause(clock: list[float]) -> None:
    calls = [0]

    def load() -> list[tuple[str, str]]:
        calls[0] += 1
        if calls[0] == 2:
            raise RuntimeError("down")
        return [("g", "1")]

    index = ConsequentialIndex(load, ttl_s=30)
    index.refresh()
    clock[0] += 31
    index.refresh_in_background()
    _wait(lambda: calls[0] == 2 and not index.stale)  # failed: the retry is set a pause ahead
    assert not index.stale and index.covers("g", "1")  # the old set, trusted a little longer
    clock[0] += consequential.RETRY_S + 0.5
    assert index.stale  # then tried again


def _wait(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)
