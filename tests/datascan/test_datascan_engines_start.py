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


#: Run in a fresh interpreter (pytest's own has threads and model runtimes loaded): which start
#: method a pool would use, then a scan of two workers against one.
_FRESH_DRIVER = textwrap.dedent(
    """
    import json, sys, threading
    from pathlib import Path
    from steward.datascan import engines
    from steward.datascan.scan import ScanOptions, progress_bar, scan
    from steward.policy import load_policy
    bar = progress_bar(10, enabled=True)  # the command line's bar starts no thread
    methods = {"clean": engines._context().get_start_method()}
    bar.close()
    options = dict(policy=load_policy("pii-mask"), chunk_rows=2)
    one = scan(Path(sys.argv[1]), ScanOptions(workers=1, **options))
    two = scan(Path(sys.argv[1]), ScanOptions(workers=2, **options))
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    methods["with a thread"] = engines._context().get_start_method()
    stop.set()
    waiting.join()
    import onnxruntime
    methods["with a model runtime"] = engines._context().get_start_method()
    print(json.dumps({"methods": methods, "same": one == two, "rows": two["rows"]}))
    """
)


def test_a_clean_driver_forks_its_workers_and_any_other_uses_the_fork_server(tmp_path: Path) -> None:
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
    assert found["methods"] == {
        "clean": "fork",
        "with a thread": "forkserver",
        "with a model runtime": "forkserver",
    }
    assert found["same"] is True
    assert found["rows"] == 7
