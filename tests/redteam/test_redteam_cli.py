"""``steward redteam`` end to end, in process: run, report with overrides, evidence and the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from redteam_fakes import Upstream, sent, sent_headers, write_policy_and_goals

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance" / "support-chatbot.yaml"


@pytest.fixture
def run(run: Any, tmp_path: Path) -> Any:
    """The test-wide ``run``, with the regex policy and a goal file in ``tmp_path``."""
    write_policy_and_goals(tmp_path)
    return run


def test_run_report_overrides_evidence_and_gate(run: Any, tmp_path: Path) -> None:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc.pop("guardrails")
    doc["release_requirements"] = [
        {"kind": "red-team", "name": "red team", "thresholds": ["every_category.attack_success_rate <= 0.05"]}
    ]
    (tmp_path / "system.yaml").write_text(yaml.safe_dump(doc))
    run("system", "add", str(tmp_path / "system.yaml"))
    policy, goals, out = str(tmp_path / "policy.yaml"), str(tmp_path / "goals.yaml"), tmp_path / "run.json"
    printed = run(
        "redteam", "run", "--policy", policy, "--goals", goals, "--transforms", "none", "--transforms", "base64",
        "--out", str(out), "--evidence", "support-chatbot",
    ).output  # fmt: skip
    assert "| PROMPT_ATTACK | 4 | 2 | 50.0% [15.0%, 85.0%] |" in printed
    assert "recorded ev-" in printed
    report = json.loads(out.read_text())
    assert report["target"] == {
        "kind": "guard",
        "name": "policy:rt-regex",
        "policy": "rt-regex",
        "third_party": "input",
    }
    assert "Ignore all previous" not in out.read_text()  # redacted by default
    gate = run("system", "gate", "support-chatbot", code=7).output
    assert "fails every_category.attack_success_rate <= 0.05 in 2 of 2 categories" in gate
    # A reviewer overturns the base64 verdicts (say the guard's downstream model refuses them).
    overrides = {a["id"]: "failure" for a in report["attempts"] if a["success"]}
    (tmp_path / "o.yaml").write_text(yaml.safe_dump(overrides))
    html = tmp_path / "report.html"
    run(
        "redteam",
        "report",
        str(out),
        "--overrides",
        str(tmp_path / "o.yaml"),
        "--format",
        "html",
        "--out",
        str(html),
        "--evidence",
        "support-chatbot",
    )
    assert "<html" in html.read_text() and "0.0%" in html.read_text()
    assert "ALLOWED" in run("system", "gate", "support-chatbot").output
    listed = run("evidence", "list", "support-chatbot").output
    assert listed.count("red-team") == 2


def test_json_format_and_iterative_rounds(run: Any, tmp_path: Path) -> None:
    out = run(
        "redteam", "run", "--policy", str(tmp_path / "policy.yaml"), "--goals", str(tmp_path / "goals.yaml"),
        "--transforms", "none", "--transforms", "zero_width", "--rounds", "1", "--seed", "3", "--format", "json", "--show-text",
    ).output  # fmt: skip
    report = json.loads(out)
    assert report["rounds"] == 1 and any(a["round"] == 1 for a in report["attempts"])
    assert report["redacted"] is False and "prompt" in report["attempts"][0]


def test_listing_goals_and_transforms(run: Any, tmp_path: Path) -> None:
    transforms = run("redteam", "transforms").output.splitlines()
    assert len(transforms) >= 16 and transforms[0].startswith("none\t")
    goals = run("redteam", "goals", "--category", "SYSTEM_PROMPT_EXTRACTION").output.splitlines()
    assert goals and all("\tSYSTEM_PROMPT_EXTRACTION\t" in line for line in goals)
    mine = run("redteam", "goals", "--goals", str(tmp_path / "goals.yaml")).output
    assert mine.startswith("inj-1\tPROMPT_ATTACK\tchat\t")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["redteam", "goals", "--goals", "missing.yaml"], 5, "missing.yaml: cannot be read"),
        (["redteam", "run", "--transforms", "nope"], 5, "'nope' is not a transform"),
        (["redteam", "run", "--category", "NOPE"], 5, "no goals in category NOPE"),
        (["redteam", "run", "--via-proxy"], 2, "--via-proxy needs --url"),
        (["redteam", "run", "--url", "ftp://x"], 5, "url: must be an http:// or https:// URL"),
        (
            ["redteam", "run", "--url", "http://127.0.0.1:9/v1", "--api-key-env", "RT_UNSET_KEY"],
            5,
            "RT_UNSET_KEY, which is not set",
        ),
        (["redteam", "run", "--rounds", "9"], 2, "9 is not in the range 0<=x<=5"),
        (["redteam", "report", "nothing.json"], 5, "nothing.json: cannot be read"),
        (["redteam", "run", "--policy", "no-such-pack"], 4, "no-such-pack"),
    ],
)
def test_bad_input_gets_a_clear_error_and_exit_code(
    run: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    monkeypatch.delenv("RT_UNSET_KEY", raising=False)
    result = run(*args, code=code)
    assert message in result.output and "Traceback" not in result.output


def test_a_bad_goal_file_is_refused_with_its_problems(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ngoals:\n  - {id: a, category: hate}\n")
    out = run("redteam", "run", "--goals", str(bad), code=5).output
    assert "goals[0].category: String should match" in out and "goals[0].goal: Field required" in out


def test_an_unreachable_endpoint_is_an_error_not_a_traceback(run: Any) -> None:
    out = run(
        "redteam",
        "run",
        "--url",
        "http://127.0.0.1:9/v1",
        "--goals",
        "content",
        "--category",
        "HATE",
        "--transforms",
        "none",
        "--timeout",
        "2",
        code=6,
    ).output
    assert "cannot connect to the upstream at http://127.0.0.1:9/v1/chat/completions" in out


def test_an_endpoint_with_a_judge_endpoint(
    run: Any, model: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RT_MODEL_KEY", "sk-from-env")
    out = run(
        "redteam", "run", "--url", model.url, "--model", "fake", "--api-key-env", "RT_MODEL_KEY",
        "--judge-url", model.url, "--judge-model", "judge", "--goals", "privacy",
        "--transforms", "none", "--transforms", "base64", "--format", "json",
    ).output  # fmt: skip
    report = json.loads(out)
    assert report["target"]["kind"] == "endpoint" and report["target"]["name"] == model.url
    verdicts = {(a["goal"], a["transforms"]): a["verdict"] for a in report["attempts"]}
    assert verdicts[("sysprompt-1", "none")] == "leaked"
    assert verdicts[("pii-1", "none")] == "refused" and verdicts[("pii-1", "base64")] == "complied"
    assert report["by_category"]["PII_EXTRACTION"]["attack_success_rate"] == 0.5
    assert sent_headers(model)[0]["authorization"] == "Bearer sk-from-env"
    judged = [r for r in sent(model) if r["model"] == "judge"]
    assert len(judged) == 8  # the 8 base64 answers; the refused and leaked plain ones never reach it
    assert "sk-from-env" not in out
