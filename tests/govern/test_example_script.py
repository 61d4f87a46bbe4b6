"""The worked example's script, exactly as a user runs it (subprocess, fresh SQLite database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from user_scripts import run_script, user_environment

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.mark.slow
def test_run_sh_goes_from_inventory_to_cards(tmp_path: Path) -> None:
    env = {**user_environment(), "PYTHON": sys.executable, "DATA": str(DATA), "EVAL_N": "50"}
    env.pop("STEWARD_DATABASE_URL", None)
    env.pop("STEWARD_DATA_DIR", None)
    if DATA.resolve() == (ROOT.parent / "shared" / "data").resolve():
        env.pop("DATA")  # the script finds ../shared/data beside the repository by itself
    # A previous run's register in the same folder (the guardrail it created) must not stop a rerun.
    previous = {
        **env,
        "STEWARD_DATABASE_URL": f"sqlite:///{tmp_path / 'steward.db'}",
        "STEWARD_DATA_DIR": str(tmp_path),
    }
    for args in (["db", "upgrade"], ["guardrail", "create", "support-bot", "--policy", "default"]):
        subprocess.run(["steward", *args], env=previous, check=True, capture_output=True, timeout=120)
    out = run_script(
        ["bash", str(ROOT / "examples" / "governance" / "run.sh"), str(tmp_path)], env=env, timeout=900
    )
    assert "REFUSED: credit-prescreen 1.0 development -> deployment" in out
    assert "ALLOWED: credit-prescreen 1.0 development -> deployment" in out
    # Step 6: oversight and risks fixed, the gate still refuses the 1.0 model on disparate impact by sex.
    fixed = out.split("== 6.")[1].split("== 7.")[0]
    assert "REFUSED: credit-prescreen" in fixed
    assert "MISSING sex: selection-rate ratio (disparate impact) 0.32 (95% CI 0." in fixed
    assert "is under the floor of 0.8" in fixed
    # Step 7: after ThresholdOptimizer (credit-lr 1.1) the same requirement passes, with the cost shown.
    mitigated = out.split("== 7.")[1].split("== 8.")[0]
    assert "sex.demographic_parity_ratio   0.319   0.958" in mitigated
    assert "recall                         0.590   0.472" in mitigated
    assert "ok   sex: selection-rate ratio (disparate impact) 0.96 (95% CI 0." in mitigated
    assert "ALLOWED: credit-prescreen 1.0 development -> deployment" in mitigated
    assert "uci-adult: 32561 rows, 15 columns, 24 exact duplicates" in out
    card = (tmp_path / "cards" / "credit-prescreen-system-card.md").read_text()
    assert "credit-lr holdout" in card and "| sex | selection_rate |" in card
    assert "sex.demographic_parity_ratio" in card
    assert (tmp_path / "cards" / "credit-prescreen-risk-report.html").exists()
    assert "steward_register: 1" in (tmp_path / "register.yaml").read_text()
