"""The multi-worker server as a real process tree: workers end with their supervisor."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from live_server import free_port
from supervised import WAIT_S, alive, port_is_free, start_serve, wait_ready

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc"),
]


def test_workers_exit_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    port = free_port()
    log_file = tmp_path / "serve.log"
    proc = start_serve(tmp_path, port, workers=2, log_file=log_file)
    workers: list[int] = []
    try:
        workers = wait_ready(f"http://127.0.0.1:{port}", proc, log_file, workers=2)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to stop its workers
        proc.wait(WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and (any(alive(p) for p in workers) or not port_is_free(port)):
            time.sleep(0.2)
        assert [p for p in workers if alive(p)] == [], log_file.read_text(errors="replace")
        assert port_is_free(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT_S)
        for pid in workers:  # leave nothing behind if the test failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


_PROBE = """
import multiprocessing, sys, time

def child(use_prctl):
    from steward.server import lifeline
    if not use_prctl:
        lifeline._set_parent_death_signal = lambda: None  # as on a system without prctl
    assert lifeline.exit_with_supervisor()
    print("ready", flush=True)
    while True:
        time.sleep(1)

if __name__ == "__main__":
    proc = multiprocessing.get_context("spawn").Process(target=child, args=(sys.argv[1] == "prctl",))
    proc.start()
    print(proc.pid, flush=True)
    while True:
        time.sleep(1)
"""


@pytest.mark.parametrize("mechanism", ["prctl", "watchdog"])
def test_each_mechanism_alone_ends_an_orphaned_worker(tmp_path: Path, mechanism: str) -> None:
    """The kernel's parent-death signal, and the portable watchdog thread without it."""
    import subprocess

    script = tmp_path / "probe.py"
    script.write_text(_PROBE, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script), mechanism], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    lines = {parent.stdout.readline().strip(), parent.stdout.readline().strip()}  # the pid; "ready"
    lines.discard("ready")
    child = int(lines.pop())
    try:
        assert alive(child)  # and set up: killing the parent earlier would test another race
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and alive(child):
            time.sleep(0.1)
        assert not alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_a_process_without_a_supervisor_is_left_alone() -> None:
    """The single-process server (and tests) have a shell or service manager as parent."""
    from steward.server.lifeline import exit_with_supervisor

    assert exit_with_supervisor() is False


def test_a_dead_worker_is_logged_and_replaced_and_requests_are_logged(tmp_path: Path) -> None:
    """The supervisor says which worker died, how, and which replaced it (and which a SIGHUP restart
    replaced); workers log each request."""
    import httpx
    from supervised import workers_of

    port = free_port()
    log_file = tmp_path / "serve.log"
    proc = start_serve(tmp_path, port, workers=2, log_file=log_file)
    workers: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        workers = wait_ready(base, proc, log_file, workers=2)
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
        expected = f"worker {victim} stopped (killed by SIGKILL); started worker "
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and expected not in log_file.read_text(errors="replace"):
            time.sleep(0.2)
        text = log_file.read_text(errors="replace")
        assert expected in text, text
        replacement = int(text.split(expected, 1)[1].split()[0])
        assert replacement in workers_of(proc.pid) and not alive(victim)

        r = httpx.post(
            f"{base}/v1/check", json={"text": "mail jane.doe@example.com", "pack": "default"}, timeout=30
        )
        assert r.status_code == 401
        line = "method=POST route=/v1/check status=401 "
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and line not in log_file.read_text(errors="replace"):
            time.sleep(0.2)
        text = log_file.read_text(errors="replace")
        assert line in text and f"request_id={r.headers['x-steward-request-id']} key=-" in text, text
        assert "jane.doe" not in text

        before = workers_of(proc.pid)
        os.kill(proc.pid, signal.SIGHUP)  # uvicorn's rolling restart of every worker
        deadline = time.monotonic() + WAIT_S
        while (
            time.monotonic() < deadline
            and log_file.read_text(errors="replace").count(" was replaced by ") < 2
        ):
            time.sleep(0.2)
        text = log_file.read_text(errors="replace")
        for pid in before:
            assert f"worker {pid} was replaced by worker " in text, text
        workers = workers_of(proc.pid)
    finally:
        proc.terminate()
        proc.wait(WAIT_S)
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
