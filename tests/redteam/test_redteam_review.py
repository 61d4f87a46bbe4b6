"""Red-team verdicts through the review queue: `run --review` files, `steward review` decides,
`report --from-review` recomputes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from redteam_fakes import REGEX_POLICY, write_policy_and_goals

from steward.redteam.review import request_id, verdicts_from_items


@pytest.fixture
def queue_run(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """The test-wide ``run`` with a data directory (the server key) and a reviewer key."""
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    write_policy_and_goals(tmp_path)
    reviewer = json.loads(run("keys", "create", "--role", "reviewer", "--init", "--json").output)["id"]
    return run, reviewer


def _items(run: Any) -> dict[str, dict[str, Any]]:
    """The red-team items by attempt id, as a reviewer sees them."""
    listed = [
        json.loads(line)
        for line in run("review", "list", "--reason", "red_team", "--json").stdout.splitlines()
    ]
    views = [json.loads(run("review", "show", item["id"], "--json").stdout) for item in listed]
    return {view["findings"][0]["attempt"]: view for view in views}


def test_reviewers_confirm_and_overturn_in_the_queue_and_the_report_follows(
    queue_run: tuple[Any, str], tmp_path: Path
) -> None:
    run, reviewer = queue_run
    out = tmp_path / "run.json"
    result = run(
        "redteam", "run", "--policy", str(tmp_path / "policy.yaml"), "--goals", str(tmp_path / "goals.yaml"),
        "--transforms", "none", "--transforms", "base64", "--out", str(out), "--review", "all",
    )  # fmt: skip
    assert "filed 6 attempt(s)" in result.stderr
    report = json.loads(out.read_text())
    assert report["metrics"]["successes"] == 3
    assert "Ignore all previous" not in out.read_text()  # the report stays redacted...
    items = _items(run)
    assert len(items) == 6
    by_chain = {(a["goal"], a["transforms"]): a for a in report["attempts"]}
    got_through = by_chain[("inj-1", "base64")]
    held = by_chain[("bomb-1", "none")]
    # ...while the reviewer reads the attempt in the queue (sealed there), with the judge's call.
    success_view, held_view = items[got_through["id"]], items[held["id"]]
    assert "judge: passed" in success_view["text"] and success_view["findings"][0]["review"] is True
    assert "bomb" in held_view["text"] and held_view["findings"][0]["review"] is False
    # One success overturned (the attack did not really get through), one failure confirmed.
    run("review", "claim", success_view["id"], "--as", reviewer)
    run(
        "review",
        "overturn",
        success_view["id"],
        "--label",
        "0",
        "--explanation",
        "gibberish",
        "--as",
        reviewer,
    )
    run("review", "claim", held_view["id"], "--as", reviewer)
    run("review", "confirm", held_view["id"], "--as", reviewer)
    again = run("redteam", "report", str(out), "--from-review", "--format", "json")
    assert "review queue: 2 verdict(s), 4 still open" in again.stderr
    recomputed = json.loads(again.stdout)
    assert recomputed["metrics"]["successes"] == 2
    assert (recomputed["reviewed"], recomputed["review_pending"], recomputed["overrides"]) == (2, 4, 2)
    flipped = next(a for a in recomputed["attempts"] if a["id"] == got_through["id"])
    assert flipped["verdict"] == "reviewer: failure" and flipped["success"] is False
    assert success_view["id"] in flipped["reason"]
    confirmed = next(a for a in recomputed["attempts"] if a["id"] == held["id"])
    assert confirmed["success"] is False and confirmed["verdict"] == "reviewer: failure"
    # A file still works, and where both judge one attempt the file wins.
    (tmp_path / "o.yaml").write_text(yaml.safe_dump({got_through["id"]: "success"}))
    both = json.loads(
        run(
            "redteam",
            "report",
            str(out),
            "--from-review",
            "--overrides",
            str(tmp_path / "o.yaml"),
            "--format",
            "json",
        ).stdout
    )
    assert both["metrics"]["successes"] == 3
    md = run("redteam", "report", str(out), "--from-review").stdout
    assert "- **review queue:** 2 verdict(s), 4 open" in md
    # Red-team verdicts say whether an attack got through, not what to catch: not eval rows.
    exported = tmp_path / "export.jsonl"
    run("review", "export", "--out", str(exported))
    assert exported.read_text() == ""


def test_a_verdict_belongs_to_its_run_only(queue_run: tuple[Any, str], tmp_path: Path) -> None:
    run, reviewer = queue_run
    common = [
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--goals",
        str(tmp_path / "goals.yaml"),
        "--transforms",
        "base64",
    ]
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    run("redteam", "run", *common, "--out", str(first), "--review", "successes")
    run("redteam", "run", *common, "--seed", "7", "--out", str(second))  # the same attempt ids, not filed
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a["run_id"] != b["run_id"] and {x["id"] for x in a["attempts"]} == {x["id"] for x in b["attempts"]}
    item = next(iter(_items(run).values()))
    run("review", "claim", item["id"], "--as", reviewer)
    run("review", "overturn", item["id"], "--label", "0", "--as", reviewer)
    assert (
        json.loads(run("redteam", "report", str(first), "--from-review", "--format", "json").stdout)[
            "overrides"
        ]
        == 1
    )
    other = json.loads(run("redteam", "report", str(second), "--from-review", "--format", "json").stdout)
    assert (other["overrides"], other["metrics"]["successes"]) == (0, 3)


def test_filing_without_a_database_is_a_clear_error(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "nodata"))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(REGEX_POLICY))
    result = run("redteam", "run", "--policy", str(tmp_path / "policy.yaml"), "--transforms", "none",
                 "--category", "VIOLENCE", "--review", "all", code=6)  # fmt: skip
    assert "no Steward database" in result.output and "Traceback" not in result.output


def test_verdicts_ignore_other_runs_and_open_items() -> None:
    from datetime import UTC, datetime

    from steward.store.review import ItemRecord

    now = datetime.now(UTC)

    def item(rid: str, state: str, label: int | None, reason: str = "red_team") -> ItemRecord:
        return ItemRecord(
            id="i" + rid[-4:], request_id=rid, guardrail_id=None, version=None, source="input",
            policy_name="red team", action="passed", blocked=False, reason=reason, state=state, findings=[],
            assignee=None, four_eyes=False, escalated=False, first_reviewer=None, first_outcome=None,
            first_label=None, first_category=None, outcome="overturned" if label is not None else None,
            label=label, category=None, resolved_by="k1", created_at=now, updated_at=now, due_at=now,
            expires_at=now, resolved_at=now, has_text=True,
        )  # fmt: skip

    run_id = "0123456789abcdef"
    verdicts = verdicts_from_items(
        [
            item(request_id(run_id, "att-000000000001"), "resolved", 1),
            item(request_id(run_id, "att-000000000002"), "resolved", 0),
            item(request_id(run_id, "att-000000000003"), "claimed", None),
            item(request_id("fedcba9876543210", "att-000000000004"), "resolved", 1),
            item(request_id(run_id, "att-000000000005"), "resolved", 1, reason="policy_review"),
        ],
        run_id,
    )
    assert {k: v[0] for k, v in verdicts.overrides.items()} == {
        "att-000000000001": True,
        "att-000000000002": False,
    }
    assert verdicts.pending == 1
