"""``steward eval --bias`` end to end: identity columns in JSONL and CSV, bad input, gates, and
a small real ToxiGen slice scored by the shipped model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from steward.cli import main
from steward.cli.exit_codes import ExitCode
from steward.errors import InputError
from steward.evaluate import run_guard
from steward.evaluate.bias import bias_report, load_bias_rows
from steward.evaluate.convert import convert, write_jsonl
from steward.guard import Guard
from steward.policy import load_policy

DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))

#: A rule-only policy, so the CLI tests need no model: "hateword" blocks.
POLICY = """
name: bias-test
sensitive_information:
  regexes:
    - {name: BAD, pattern: "\\\\bhateword\\\\b", action: BLOCK}
"""


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    # "alpha": its benign mentions are blocked too (the bias to find); "beta" is handled well
    for i in range(6):
        rows.append({"text": f"alpha hateword {i}", "label": 1, "identity": "alpha"})
        rows.append({"text": f"alpha hateword but kind {i}", "label": 0, "identity": "alpha"})
        rows.append({"text": f"beta hateword {i}", "label": 1, "identity": "beta|gamma"})
        rows.append({"text": f"beta is fine {i}", "label": 0, "identity": ["beta"]})
    return rows


def test_jsonl_identities_by_name_list_and_flag_columns(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    lines = [json.dumps(r) for r in _rows()] + [
        json.dumps({"text": "flagged", "label": 0, "women": 0.8, "men": False}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = load_bias_rows(path, identity_columns=["identity", "women", "men"])
    assert rows[2].identities == {"beta", "gamma"}
    assert rows[3].identities == {"beta"}
    assert rows[-1].identities == {"women"}


def test_csv_with_flag_columns(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text(
        "text,label,muslim,jewish\nsome text,1,1,0\nother text,false,0.2,0.9\nplain,0,,\n", encoding="utf-8"
    )
    rows = load_bias_rows(path, identity_columns=["muslim", "jewish"])
    assert [r.identities for r in rows] == [{"muslim"}, {"jewish"}, frozenset()]
    assert [r.row.label for r in rows] == [1, 0, 0]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"text": "a", "label": 1, "identity": "x"}\n{"text": "b", "label": \n', "set.jsonl line 2"),
        (b'{"text": "a", "label": 7, "identity": "x"}\n', '"label" must be 0 or 1'),
        (b'{"text": "\xff\xfe", "label": 1}\n', "not valid UTF-8"),
        (b'{"text": "a", "label": 1, "identity": {"x": 1}}\n', '"identity" must be a string'),
        (b'{"text": "a", "label": 1, "other": "x"}\n', "no row names an identity"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle):
        load_bias_rows(path, identity_columns=["identity"])


def test_cli_bias_report_json_and_gates(tmp_path: Path, policy: Path) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _rows()) + "\n", encoding="utf-8")
    code, out, err = _invoke("eval", "--bias", str(data), "--policy", str(policy), "--json")
    assert code == ExitCode.OK, err
    report = json.loads(out)
    alpha, beta = report["by_group"]["alpha"], report["by_group"]["beta"]
    assert alpha["fpr"] == 1.0 and alpha["fnr"] == 0.0  # every benign alpha row blocked
    assert beta["fpr"] == 0.0 and beta["subgroup_auc"] == 1.0
    assert alpha["bpsn_auc"] < beta["bpsn_auc"]
    assert report["by_group"]["gamma"]["inestimable"]  # 6 harmful rows, no benign ones
    code, _, err = _invoke(
        "eval", "--bias", str(data), "--policy", str(policy), "--fail-over", "by_group.alpha.fpr=0.1"
    )
    assert code == ExitCode.GATE_FAILED and "by_group.alpha.fpr" in err
    code, out, _ = _invoke("eval", "--bias", str(data), "--policy", str(policy))
    assert code == ExitCode.OK and "generalized mean" in out and "alpha" in out


def test_cli_bias_refuses_bad_combinations_and_files(tmp_path: Path, policy: Path) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _rows()) + "\n", encoding="utf-8")
    code, _, err = _invoke("eval", str(data), "--policy", str(policy), "--identity", "identity")
    assert code == ExitCode.USAGE and "--identity applies only with --bias" in err
    code, _, err = _invoke("eval", "--bias", str(data), "--policy", str(policy), "--by", "kind")
    assert code == ExitCode.USAGE
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "x", "label": 1, "identity": "a"}\nnot json\n', encoding="utf-8")
    code, _, err = _invoke("eval", "--bias", str(broken), "--policy", str(policy))
    assert code == ExitCode.INPUT_ERROR and "broken.jsonl line 2" in err and "Traceback" not in err


def test_toxigen_converter_takes_identities_from_target_groups() -> None:
    rows = convert("toxigen_identity", DATA)
    assert len(rows) == 606  # 660 seeds, the 54 trans seeds listed under lgbtq too
    both = [r for r in rows if r["identity"] == "lgbtq|trans"]
    assert len(both) == 54 and all(r["label"] == 1 for r in both)
    assert {g for r in rows for g in str(r["identity"]).split("|")} >= {"asian", "black", "muslim", "women"}


def test_identity_templates_cover_every_term_with_both_labels() -> None:
    rows = convert("identity_templates", DATA)
    by_term: dict[str, set[int]] = {}
    for r in rows:
        by_term.setdefault(str(r["identity"]), set()).add(int(r["label"]))
    assert len(by_term) == 74
    assert all(labels == {0, 1} for labels in by_term.values())
    hate = [r for r in rows if r["kind"] == "identity_hate"]
    # written without a group field: the term is found in the text, longest first
    assert all(str(r["identity"]).lower() in str(r["text"]).lower() for r in hate)
    assert any(r["identity"] == "Mexican-American" for r in hate)


def test_bias_report_on_a_real_toxigen_slice(tmp_path: Path) -> None:
    """Held-out ToxiGen statements about three groups, scored by the shipped model."""
    rows = [
        r
        for r in convert("toxigen_identity", DATA)
        if r["split"] == "test" and r["identity"] in {"muslim", "women", "mexican"}
    ]
    path = tmp_path / "toxigen.jsonl"
    write_jsonl(rows, path)
    loaded = load_bias_rows(path, identity_columns=["identity"], split="test")
    assert len(loaded) == len(rows) < 60
    results = run_guard(Guard(load_policy("default")), [r.row for r in loaded])
    report = bias_report(results, [r.identities for r in loaded], min_count=3)
    assert set(report["by_group"]) == {"muslim", "women", "mexican"}
    y = np.array([r.row.label for r in results])
    s = np.array([r.score for r in results])
    assert report["overall_auc"] == pytest.approx(roc_auc_score(y, s))
    for term, entry in report["by_group"].items():
        sub = np.array([term in r.identities for r in loaded])
        assert entry["n"] == int(sub.sum())
        assert entry["subgroup_auc"] == pytest.approx(roc_auc_score(y[sub], s[sub]))
        pos, neg = y == 1, y == 0
        bpsn = (sub & neg) | (~sub & pos)
        assert entry["bpsn_auc"] == pytest.approx(roc_auc_score(y[bpsn], s[bpsn]))
        benign = sub & neg
        caught = np.array([r.caught for r in results])
        assert entry["fpr"] == pytest.approx(caught[benign].mean())
    # the model ranks implicit hate above neutral statements about the same groups
    assert report["overall_auc"] > 0.7


def test_bias_json_is_recordable_evidence(tmp_path: Path, policy: Path) -> None:
    from datetime import UTC, datetime

    from steward.govern.evidence import evidence_from_metrics_json
    from steward.govern.requirements import EvidenceKind

    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _rows()) + "\n", encoding="utf-8")
    code, out, _ = _invoke("eval", "--bias", str(data), "--policy", str(policy), "--json")
    assert code == ExitCode.OK
    evidence = evidence_from_metrics_json(
        out.encode(),
        system_id="guard",
        system_version="1",
        kind=EvidenceKind.FAIRNESS,
        name="guard bias",
        subject="guardrail:default",
        subject_version="1",
        recorded_at=datetime.now(UTC),
    )
    assert evidence.metrics["generalized_mean.bpsn_auc"] == json.loads(out)["generalized_mean"]["bpsn_auc"]
    assert evidence.slices["alpha"]["fpr"] == 1.0
    assert evidence.slices["alpha"]["fpr_ci95.lo"] > 0.5
