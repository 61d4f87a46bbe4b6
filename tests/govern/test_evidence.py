from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from govern_builders import NOW, make_system

from steward.cli import main
from steward.errors import InputError, InputTooLargeError
from steward.govern.evidence import EVIDENCE_FILE_MAX_BYTES, attestation, evidence_from_metrics_json
from steward.govern.requirements import EvidenceKind

EVAL_JSON = {
    "n": 200,
    "precision": 0.9,
    "recall": 0.8,
    "f1": 0.847,
    "fpr": 0.02,
    "auprc": 0.91,
    "recall_at_1pct_fpr": 0.6,
    "fpr_spread": None,
    "by_group": {"sex": {"Female": {"recall": 0.7, "n": 80}, "Male": {"recall": 0.85, "n": 120}}},
    "by_category": {"HATE": {"recall": 0.9, "precision": None}},
    "latency_ms": {"p50": 1.5, "p99": 9.0},
}


def _record(payload: bytes, **kw: object) -> object:
    system = make_system()
    args = {
        "system_id": system.id,
        "system_version": system.version,
        "kind": EvidenceKind.EVALUATION,
        "name": "holdout",
        "subject": "model:credit-lr",
        "subject_version": "1.0",
        "recorded_at": NOW,
    }
    args.update(kw)
    return evidence_from_metrics_json(payload, **args)  # type: ignore[arg-type]


def test_steward_eval_shape_is_read_with_groups_categories_and_latency() -> None:
    payload = json.dumps(EVAL_JSON).encode()
    ev = _record(payload)
    assert ev.metrics["recall"] == 0.8 and ev.metrics["latency_ms.p99"] == 9.0  # type: ignore[attr-defined]
    assert "fpr_spread" not in ev.metrics  # type: ignore[attr-defined]  # null = undefined, left out
    assert ev.slices == {"sex=Female": {"recall": 0.7, "n": 80.0}, "sex=Male": {"recall": 0.85, "n": 120.0}}  # type: ignore[attr-defined]
    assert ev.categories == {"HATE": {"recall": 0.9}}  # type: ignore[attr-defined]
    assert ev.content_sha256 == hashlib.sha256(payload).hexdigest()  # type: ignore[attr-defined]


def test_generic_metrics_json_and_group_lists() -> None:
    ev = _record(
        json.dumps({"metrics": {"accuracy": 0.8}, "groups": [{"group": "young", "accuracy": 0.7}]}).encode()
    )
    assert ev.metrics == {"accuracy": 0.8} and ev.slices == {"young": {"accuracy": 0.7}}  # type: ignore[attr-defined]
    flat = _record(b'{"bleu": 31.2, "notes": "text is ignored"}')
    assert flat.metrics == {"bleu": 31.2}  # type: ignore[attr-defined]


def test_multi_dataset_eval_report_records_overall_and_each_set() -> None:
    report = {"datasets": {"a": {**EVAL_JSON, "recall": 0.5}, "b": EVAL_JSON}, "overall": EVAL_JSON}
    ev = _record(json.dumps(report).encode())
    assert ev.metrics["recall"] == 0.8 and ev.metrics["datasets.a.recall"] == 0.5  # type: ignore[attr-defined]
    assert "sex=Male" in ev.slices  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "eval.json: is not valid JSON"),
        (b"\xff\xfe", "eval.json: is not valid UTF-8"),
        (b"[1, 2]", "eval.json: must be a JSON object, not list"),
        (b'{"notes": "nothing numeric"}', "eval.json: holds no numeric metrics"),
        (b'{"by_group": {"a": 3}}', r"eval.json.by_group.a: must map each group to its metrics"),
        (b'{"groups": [{"accuracy": 1}]}', r'eval.json.groups\[0\]: must be objects with a "group" field'),
        (b'{"recall": 1e999}', "eval.json.recall: is not a finite number"),
    ],
)
def test_bad_metrics_files_are_named(payload: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _record(payload, source="eval.json")


def test_oversize_metrics_file_is_refused() -> None:
    with pytest.raises(InputTooLargeError, match="over the limit"):
        _record(b" " * (EVIDENCE_FILE_MAX_BYTES + 1))


def test_ids_are_stable_per_content_and_version() -> None:
    payload = json.dumps({"recall": 0.9}).encode()
    first, again = _record(payload), _record(payload, recorded_at=NOW + dt.timedelta(days=1))
    other_version = _record(payload, system_version="2.0")
    assert first.id == again.id != other_version.id  # type: ignore[attr-defined]


def test_attestations_hash_their_statement_and_refuse_metric_kinds() -> None:
    att = attestation(
        system_id="credit",
        system_version="1.0",
        name="legal review",
        statement="Reviewed.",
        recorded_at=NOW,
        recorded_by="counsel",
    )
    assert att.passed is True and att.content_sha256 == hashlib.sha256(b"Reviewed.").hexdigest()
    assert att.subject == "system:credit"
    with pytest.raises(InputError, match="kind: must be 'attestation' or 'review'"):
        attestation(
            system_id="credit",
            system_version="1.0",
            name="x",
            statement="y",
            recorded_at=NOW,
            recorded_by="z",
            kind=EvidenceKind.EVALUATION,
        )


@pytest.mark.slow
def test_the_json_steward_eval_prints_is_accepted(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    rows = [
        {"text": "write to jane.doe@example.com", "label": 1, "group": "sex:female"},
        {"text": "what is the capital of France?", "label": 0, "group": "sex:male"},
        {"text": "my email is bob@example.org", "label": 1, "group": "sex:male"},
        {"text": "how do plants grow?", "label": 0, "group": "sex:female"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(main, ["eval", "--policy", "pii-mask", "--json", str(data)])
    assert result.exit_code == 0, result.output
    ev = _record(result.stdout.encode())
    assert ev.metrics["n"] == 4 and "recall" in ev.metrics  # type: ignore[attr-defined]
    assert set(ev.slices) == {"sex:female", "sex:male"}  # type: ignore[attr-defined]
