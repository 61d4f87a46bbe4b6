"""Pool workers start forked from a clean driver or from a fork server, and see the driver's
environment and folder as they are now."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
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


#: Run in a fresh interpreter (pytest's own has threads and model runtimes loaded): the command
#: line's scan with one process and with two behind a progress bar, noting the start method of
#: each pool, then the start method a driver with a thread or a model runtime would get.
_FRESH_DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, sys, threading
    from steward.datascan import engines
    from steward.cli import main
    methods = []
    chosen = engines._context
    engines._context = lambda: methods.append(chosen().get_start_method()) or chosen()
    reports = []
    for extra in (["--workers", "1"], ["--workers", "2", "--progress"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(["scan", sys.argv[1], "--policy", "pii-mask", "--chunk-rows", "2", "--json", *extra])
        reports.append(json.loads(out.getvalue()))
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    methods.append(chosen().get_start_method())
    stop.set()
    waiting.join()
    import onnxruntime
    methods.append(chosen().get_start_method())
    print(json.dumps({"methods": methods, "same": reports[0] == reports[1], "rows": reports[1]["rows"]}))
    """
)


def test_a_clean_command_line_driver_forks_its_workers_and_any_other_uses_the_fork_server(
    tmp_path: Path,
) -> None:
    data = tmp_path / "rows.jsonl"
    lines = [{"text": f"Row {i}: mail ann{i}@example.org, call 212-555-01{i:02d}."} for i in range(7)]
    data.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_DRIVER, str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # One pool (two workers, behind a progress bar), then the two drivers that are not clean.
    assert found["methods"] == ["fork", "forkserver", "forkserver"]
    assert found["same"] is True
    assert found["rows"] == 7
