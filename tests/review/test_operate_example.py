"""The README's worked example of operating Steward, run end to end as a user would run it.

``examples/operate/run.py`` starts a fake model, a webhook receiver and ``steward serve``, then
sends traffic through the proxy, appeals a block, overturns it, evaluates the overturn, makes the
input mix drift and scrapes ``/metrics``. This test runs the script as a separate process and
checks the real outcome of each step from the files it leaves. It takes about 90 s (the drift
alert needs two 60-second windows of traffic).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "operate" / "run.py"


@pytest.mark.slow
def test_the_operate_example_runs_end_to_end(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "data" / "left-over").write_text("from an earlier run")  # re-runnable into the same folder
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--work", str(work)], capture_output=True, text=True, timeout=400
    )
    summary = json.loads((work / "summary.json").read_text())
    assert done.returncode == 0 and summary["ok"], (done.stdout[-2000:], done.stderr[-2000:])
    assert not (work / "data" / "left-over").exists()

    # the proxy blocked the innocent message and its answers carry the notice link of the system
    assert summary["traffic"]["blocked"] == "Sorry, I cannot help with that."
    assert summary["traffic"]["disclosure"].endswith("Notice: /v1/systems/shop-refunds/notice")

    # the appeal was overturned, and the appellant reads the reviewer's explanation
    appeal = summary["review"]["appeal"]
    assert (appeal["state"], appeal["outcome"], appeal["explanation"]) == (
        "resolved",
        "overturned",
        "A fruit, not abuse.",
    )
    # the consequential system sent every proxy decision to review, besides the appeal
    reasons = summary["review"]["itemsByReason"]
    assert reasons["appeal"] == 1 and reasons["consequential_system"] >= 26 * 2 - 1

    # the overturn is one eval row, and the policy still blocks it: a regression case
    (row,) = summary["eval"]["rows"]
    assert (row["text"], row["label"], row["group"], row["outcome"]) == (
        "I like grapefruit",
        0,
        "appeal",
        "overturned",
    )
    assert (summary["eval"]["n"], summary["eval"]["fpr"]) == (1, 1.0)
    assert (work / "overturns.jsonl").read_text().count("\n") == 1

    # the input mix changed and the drift rule's alert reached the webhook, signed
    alert = summary["alert"]
    assert (alert["ruleId"], alert["metric"], alert["signatureVerified"]) == (
        "input-length-drift",
        "text_length_psi",
        True,
    )
    assert alert["value"] >= 0.25 and alert["requests"] >= 20 and alert["refused"] == 0

    # /metrics counted the proxy's decisions
    assert "steward_audit_backlog" in (work / "metrics.txt").read_text()
    assert any('action="GUARDRAIL_INTERVENED"' in line for line in summary["metrics"]["decisionLines"])
