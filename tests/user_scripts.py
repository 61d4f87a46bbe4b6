"""Running a documented script exactly as a user does, or loading one as a module (helpers for
the tests of worked examples, benchmarks and training scripts, which live outside the package;
a module of its own name beside the root conftest, so every test folder can import it)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load_script", "load_training_data", "run_script", "user_environment"]


def load_script(name: str, path: Path) -> ModuleType:
    """The script at ``path`` imported as module ``name`` (registered in ``sys.modules``, which
    dataclasses need while their classes are built).

    The script's folder joins the end of ``sys.path``, as running it puts it first, so its
    imports of modules beside it (``training/data.py`` imports ``group_swap``) resolve; at the
    end, it shadows nothing installed.
    """
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_training_data() -> ModuleType:
    """``training/data.py`` loaded as a module, failing clearly when the shared data it reads
    (``../shared/data``, or ``STEWARD_SHARED_DATA``) is missing rather than deep in a loader."""
    import pytest

    module = load_script(
        "steward_training_data", Path(__file__).resolve().parents[1] / "training" / "data.py"
    )
    if not module.DATA.is_dir():
        pytest.fail(f"the shared data folder {module.DATA} is missing (set STEWARD_SHARED_DATA)")
    return module


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
