"""The worked example's script, exactly as a user runs it (subprocess, fresh SQLite database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.mark.slow
def test_run_sh_goes_from_inventory_to_cards(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
        "DATA": str(DATA),
        "EVAL_N": "50",
    }
    env.pop("STEWARD_DATABASE_URL", None)
    done = subprocess.run(
        ["bash", str(ROOT / "examples" / "governance" / "run.sh"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "REFUSED: credit-prescreen 1.0 development -> deployment" in out
    assert "ALLOWED: credit-prescreen 1.0 development -> deployment" in out
    assert "uci-adult: 32561 rows, 15 columns, 24 exact duplicates" in out
    card = (tmp_path / "cards" / "credit-prescreen-system-card.md").read_text()
    assert "credit-lr holdout" in card and "| sex | selection_rate |" in card
    assert (tmp_path / "cards" / "credit-prescreen-risk-report.html").exists()
    assert "steward_register: 1" in (tmp_path / "register.yaml").read_text()
