"""Worker processes end when the supervisor that started them dies.

``steward serve --workers N`` runs uvicorn's supervisor, which starts N worker processes that
share the listening socket. If the supervisor is killed outright (SIGKILL, the OOM killer), it
cannot stop them: they are re-parented to PID 1 and keep serving on the port, unsupervised,
and a new ``steward serve`` cannot bind it. Two mechanisms close that gap:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel sends the worker SIGTERM the
  moment its parent dies, and uvicorn shuts the worker down gracefully (the audit trail is
  flushed);
* everywhere, a daemon thread that checks once a second whether the parent is still the one
  that started the worker; when it is not, it sends the same SIGTERM, and if the graceful
  shutdown has not finished after :data:`GRACE_S` seconds it ends the process.

A process that was not started by a supervisor (``steward serve`` with one worker, tests, an
embedding application) is left alone: its parent is a shell or a service manager, whose exit
must not stop it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

__all__ = ["GRACE_S", "exit_with_supervisor"]

log = logging.getLogger(__name__)

#: Seconds a worker whose supervisor died has to shut down gracefully before it is ended.
GRACE_S = 10.0
_PR_SET_PDEATHSIG = 1
_POLL_S = 1.0


def exit_with_supervisor() -> bool:
    """Make this process end when its supervisor dies; False (nothing done) if it has none.

    Call it once in each worker process (``worker_app`` does). The supervisor is the
    ``multiprocessing`` parent process that spawned this one.
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return False
    parent_pid = parent.pid
    _set_parent_death_signal()
    threading.Thread(target=_watch, args=(parent_pid,), name="steward-supervisor-watch", daemon=True).start()
    return True


def _set_parent_death_signal() -> None:
    """Ask the Linux kernel for SIGTERM when the parent dies (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d); relying on the watchdog", ctypes.get_errno())


def _watch(parent_pid: int) -> None:
    """Poll the parent pid; when it changes (the parent died), stop this process."""
    while os.getppid() == parent_pid:
        time.sleep(_POLL_S)
    log.warning("worker %d: the supervisor (pid %d) is gone; shutting down", os.getpid(), parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_S)
    log.error("worker %d: graceful shutdown took over %g s; exiting now", os.getpid(), GRACE_S)
    os._exit(1)
