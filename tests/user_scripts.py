"""Running a documented script exactly as a user does (a helper for the tests of worked examples;
a module of its own name beside the root conftest, so every test folder can import it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["run_script", "user_environment"]


def user_environment() -> dict[str, str]:
    """This process's environment with the virtual environment's commands (steward, python) first on PATH."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_script(args: list[str], *, env: dict[str, str], timeout: float, cwd: Path | None = None) -> str:
    """Run ``args``; its stdout, or a failed test showing the ends of both outputs if it exits non-zero."""
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout
