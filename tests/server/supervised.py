"""``steward serve --workers N`` as a real process tree, for tests of the supervisor and its workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

#: How long a test waits for the server tree to start or to change: generous, since it only
#: bounds a wait that ends as soon as the condition holds.
WAIT_S = 90.0


def start_serve(data_dir: Path, port: int, *, workers: int, log_file: Path) -> subprocess.Popen[bytes]:
    """``steward serve`` on ``port`` with ``workers`` workers (SQLite under ``data_dir``), stderr to ``log_file``."""
    env = {
        **os.environ,
        "STEWARD_DATA_DIR": str(data_dir),
        "STEWARD_DATABASE_URL": f"sqlite:///{data_dir / 'steward.db'}",
        "STEWARD_WARM_GUARDS": "0",
    }
    cmd = [sys.executable, "-c", "from steward.cli import main; main()", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    with log_file.open("wb") as err:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie nobody reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def workers_of(supervisor: int) -> list[int]:
    """The uvicorn worker processes of a supervisor (not multiprocessing's resource tracker)."""
    workers = []
    for pid in children(supervisor):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(pid)
    return workers


def wait_ready(base: str, proc: subprocess.Popen[bytes], log_file: Path, *, workers: int) -> list[int]:
    """Wait until the server answers and all its workers run; returns the worker pids."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_file.read_text(errors='replace')}")
        pids = workers_of(proc.pid)
        try:
            if len(pids) == workers and httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return pids
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not become ready: {log_file.read_text(errors='replace')}")


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` and it can be bound again."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
