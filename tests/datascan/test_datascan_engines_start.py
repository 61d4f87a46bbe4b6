"""Pool workers start from a fork server, yet see the driver's environment and folder as they are now."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from steward.datascan import engines
from steward.datascan.batch import BatchConfig, RowCells
from steward.policy import load_policy


def test_a_worker_takes_the_drivers_current_environment_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = engines._Batch(BatchConfig(load_policy("pii-mask")))
    monkeypatch.setenv("STEWARD_TEST_STALE", "from the fork server's start")
    monkeypatch.setattr(engines, "_TASK", None)
    monkeypatch.chdir(Path.cwd())  # restored afterwards
    wanted = {k: v for k, v in os.environ.items() if k != "STEWARD_TEST_STALE"}
    wanted["STEWARD_TEST_NEW"] = "set by the driver later"
    monkeypatch.setenv("STEWARD_TEST_NEW", "placeholder")  # so that monkeypatch removes it afterwards
    engines._init_worker(task, wanted, str(tmp_path))
    assert engines._TASK is task
    assert os.environ.get("STEWARD_TEST_NEW") == "set by the driver later"
    assert "STEWARD_TEST_STALE" not in os.environ
    assert Path.cwd() == tmp_path


def test_two_workers_give_what_one_process_gives() -> None:
    config = BatchConfig(load_policy("pii-mask"))
    jobs: list[tuple[int, list[RowCells]]] = [
        (i, [(i, (("text", f"Row {i}: write to ann{i}@example.org or call 212-555-01{i:02d}."),))])
        for i in range(6)
    ]
    one = list(engines.run_batches(iter(jobs), config, workers=1))
    two = list(engines.run_batches(iter(jobs), config, workers=2))
    assert two == one
    assert [tag for tag, _ in two] == list(range(6))
    assert all(any(h.type == "EMAIL" for h in r[0].cells[0].hits) for _, r in two)
