"""Resolved items export as `steward eval` rows, and `steward eval` runs on the export."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward import Guard, parse_policy
from steward.cli import main
from steward.cli.exit_codes import ExitCode
from steward.evaluate.dataset import load_dataset
from steward.review import Reason, Reviewer, ReviewQueue
from steward.review.export import ExportCount, eval_rows, write_jsonl
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.sealing import Sealer

REVIEWER = Reviewer("KREVIEW")


@pytest.fixture
def queue(fresh_db_url: str, review_key: bytes) -> Iterator[ReviewQueue]:
    """A queue over a database of its own: an export reads every resolved item there."""
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield ReviewQueue.over(session_factory(engine), Sealer(review_key))
    engine.dispose()


POLICY = {"name": "fruit", "word_filters": {"words": ["grapefruit"], "action": "BLOCK"}}


def _resolved(queue: ReviewQueue, text: str, *, overturn: dict[str, object] | None) -> str:
    policy = parse_policy(POLICY)
    assessment = Guard(policy).apply(text, "input")
    item_id = queue.add(
        queue.new_item(
            Reason.APPEAL,
            request_id=uuid.uuid4().hex,
            source="input",
            action=assessment.action.value,
            blocked=assessment.blocked,
            findings=[f.to_dict() for f in assessment.findings],
            text=text,
            actor="KAPP",
        )
    )
    queue.claim(item_id, REVIEWER)
    if overturn is None:
        queue.confirm(item_id, REVIEWER)
    else:
        queue.overturn(item_id, REVIEWER, **overturn)  # type: ignore[arg-type]
    return item_id


def test_every_overturn_becomes_a_regression_case_steward_eval_reads(
    queue: ReviewQueue, tmp_path: Path
) -> None:
    wrongly_blocked = _resolved(queue, "I like grapefruit juice", overturn={"label": 0})
    missed = _resolved(queue, "You are all idiots", overturn={"label": 1, "category": "INSULTS"})
    rightly_blocked = _resolved(queue, "grapefruit is forbidden here", overturn=None)
    mine = {wrongly_blocked, missed, rightly_blocked}

    count = ExportCount()
    rows = [r for r in eval_rows(queue.store.resolved_items(), count) if r["review_item"] in mine]
    by_item = {r["review_item"]: r for r in rows}
    assert by_item[wrongly_blocked] == {
        "text": "I like grapefruit juice",
        "label": 0,
        "source": "input",
        "group": "appeal",
        "review_item": wrongly_blocked,
        "outcome": "overturned",
    }
    assert (by_item[missed]["label"], by_item[missed]["category"]) == (1, "INSULTS")
    assert (by_item[rightly_blocked]["label"], by_item[rightly_blocked]["category"]) == (1, "CUSTOM_WORD")

    export = tmp_path / "review.jsonl"
    with export.open("w", encoding="utf-8") as out:
        write_jsonl(rows, out)
    assert [r.label for r in load_dataset(export)] == [r["label"] for r in rows]
    policy_file = tmp_path / "fruit.json"
    policy_file.write_text(json.dumps(POLICY), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(export), "--policy", str(policy_file), "--json"])
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(result.stdout)
    # The policy still blocks the overturned fruit (a false positive) and misses the insult:
    # exactly the regressions the reviewers found.
    assert report["n"] == 3
    assert report["fpr"] == 1.0 and report["recall"] == 0.5
    assert report["by_group"]["appeal"]["n"] == 3


def test_items_whose_text_is_gone_are_counted_not_written(queue: ReviewQueue) -> None:
    item_id = _resolved(queue, "grapefruit once more", overturn={"label": 0})
    item = queue.store.get_item(item_id)
    queue.store.purge_expired(item.expires_at + timedelta(seconds=1))
    count = ExportCount()
    rows = [r for r in eval_rows(queue.store.resolved_items(), count) if r["review_item"] == item_id]
    assert rows == [] and count.without_text >= 1
