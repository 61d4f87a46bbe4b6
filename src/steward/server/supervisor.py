"""Running the server: uvicorn with Steward's log lines on stderr, and a supervisor for several
workers that says when one dies or is replaced.

``steward serve`` calls :func:`run`. uvicorn's own supervisor restarts a dead worker silently at
the default log level (its "Child process died" line is INFO); here every death and every
replacement is a WARNING on the ``steward.server.supervisor`` logger, with the worker's pid and
how it ended, so an operator sees a crashing worker instead of a quietly shrinking pool. The
access log (``steward.access``, one line per request, see :mod:`steward.server.accesslog`) goes
to the same stream at INFO whatever ``--log-level`` says, unless ``access_log`` is off.
"""

from __future__ import annotations

import copy
import logging
import signal
import sys
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from steward.server.accesslog import ACCESS_LOGGER

__all__ = ["logging_config", "run"]

log = logging.getLogger(__name__)


def logging_config(log_level: str, *, access_log: bool = True) -> dict[str, Any]:
    """uvicorn's logging configuration plus Steward's loggers on stderr.

    ``steward`` logs at ``log_level``; ``steward.access`` at INFO (or not at all without
    ``access_log``). Each line names the process, so lines of several workers can be told apart.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["steward"] = {
        "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
    }
    config["handlers"]["steward"] = {
        "class": "logging.StreamHandler",
        "formatter": "steward",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["steward"] = {"handlers": ["steward"], "level": log_level.upper(), "propagate": False}
    config["loggers"][ACCESS_LOGGER] = {"level": "INFO" if access_log else "CRITICAL"}
    return config


def _ended(exitcode: int | None) -> str:
    """How a worker ended: ``killed by SIGKILL`` (also what a hung worker gets from the supervisor)
    or ``exit code 1``."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _LoggingSupervisor(Multiprocess):
    """uvicorn's supervisor, saying which worker died or was replaced, how, and by which."""

    def keep_subprocess_alive(self) -> None:
        before = list(self.processes)
        super().keep_subprocess_alive()
        for old, new in zip(before, self.processes, strict=False):
            if new is not old:
                log.warning(
                    "worker %s stopped (%s); started worker %s in its place",
                    old.pid,
                    _ended(old.exitcode),
                    new.pid,
                )

    def restart_all(self) -> None:
        before = list(self.processes)
        super().restart_all()
        for old, new in zip(before, self.processes, strict=False):
            if new is not old:
                log.warning("worker %s was replaced by worker %s (restart on SIGHUP)", old.pid, new.pid)


def run(*, app: str, host: str, port: int, workers: int, log_level: str, access_log: bool = True) -> None:
    """Serve ``app`` on ``host:port`` with ``workers`` processes until stopped (as ``uvicorn.run``).

    ``app`` names the factory every worker calls, as ``module:function``
    (``steward serve`` gives :func:`steward.asgi.worker_app`): a name, not the app, so with
    several workers only they import the application, not the supervisor.
    """
    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=logging_config(log_level, access_log=access_log),
        loop="auto",  # uvloop when installed
        http="auto",  # httptools when installed
        access_log=False,  # Steward's own access log replaces uvicorn's (which shows the query string)
        proxy_headers=False,
    )
    server = uvicorn.Server(config=config)
    try:
        if workers > 1:
            sock = config.bind_socket()
            _LoggingSupervisor(config, sockets=[sock]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)
