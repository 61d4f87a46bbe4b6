"""``steward fairness`` and ``steward fairness mitigate`` as a user runs them, on COMPAS files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fairness_data import compas

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance"
COLUMNS = ["--label", "label", "--prediction", "decision", "--score", "score"]


@pytest.fixture
def run(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The test-wide ``run``, with the data directory in ``tmp_path`` too."""
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    return run


@pytest.fixture(scope="module")
def predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compas") / "compas-predictions.csv"
    compas().to_csv(path, index=False)
    return path


def test_the_table_shows_groups_intervals_inestimable_groups_and_the_verdict(run, predictions: Path) -> None:  # type: ignore[no-untyped-def]
    out = run(
        "fairness", str(predictions), *COLUMNS, "--group", "race", "--group", "sex", "--resamples", "100"
    ).output
    assert "7214 rows; groups under 30 rows" in out
    assert "== race" in out and "== sex" in out and "== race&sex" in out
    native = next(line for line in out.splitlines() if line.startswith("Native American "))
    assert native.split()[2] == "18" and "inestimable" in native
    assert "four-fifths rule: FAIL (conclusive)" in out
    assert "inestimable, left out of ratios: Native American" in out
    same = run(
        "fairness",
        "audit",
        str(predictions),
        *COLUMNS,
        "--group",
        "race",
        "--group",
        "sex",
        "--resamples",
        "100",
    )
    assert same.output == out
    report = json.loads(
        run("fairness", str(predictions), *COLUMNS, "--group", "race", "--json", "--resamples", "50").output
    )
    assert report["attributes"]["race"]["four_fifths_rule"] == {"verdict": "fail", "conclusive": True}
    assert report["bootstrap"] == {"resamples": 50, "seed": 0, "confidence": 0.95, "stratified_by": ["race"]}


def test_bad_input_exits_5_and_names_the_problem(run, predictions: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = ["fairness", str(predictions), "--resamples", "0"]
    out = run(*base, *COLUMNS, "--group", "gender", code=5).output
    assert "has no column 'gender'" in out and "Traceback" not in out
    assert (
        "column 'race' is not binary"
        in run(*base, "--label", "race", "--prediction", "decision", "--group", "sex", code=5).output
    )
    assert (
        "not a probability"
        in run(
            *base, "--label", "label", "--prediction", "decision", "--score", "age", "--group", "sex", code=5
        ).output
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty.csv: is empty" in run("fairness", str(empty), *COLUMNS, "--group", "sex", code=5).output
    assert "--system needs --name" in run(*base, *COLUMNS, "--group", "sex", "--system", "x", code=2).output
    assert (
        "Invalid value for '--resamples'"
        in run("fairness", str(predictions), *COLUMNS, "--group", "sex", "--resamples", "-1", code=2).output
    )


def test_a_measurement_becomes_evidence_the_release_gate_reads(run, predictions: Path) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    run("system", "add", str(EXAMPLE / "credit-prescreen-fixed.yaml"))
    args = [
        "fairness",
        str(predictions),
        *COLUMNS,
        "--group",
        "sex",
        "--group",
        "race",
        "--resamples",
        "100",
        "--system",
        "credit-prescreen",
        "--name",
        "credit-lr groups",
        "--subject",
        "model:credit-lr",
        "--subject-version",
        "1.0",
    ]
    recorded = run(*args).output
    assert "recorded ev-" in recorded and "fairness 'credit-lr groups' for credit-prescreen 1.0" in recorded
    assert "already recorded" in run(*args).output
    listed = json.loads(run("evidence", "list", "credit-prescreen", "--json").output)["evidence"]
    assert len(listed) == 1
    metrics = listed[0]["metrics"]
    assert metrics["sex.demographic_parity_ratio"] == pytest.approx(0.904, abs=0.001)
    assert (
        metrics["sex.demographic_parity_ratio.ci95_low"]
        < 0.904
        < metrics["sex.demographic_parity_ratio.ci95_high"]
    )
    assert "compas-predictions.csv" in listed[0]["inputs"]
    gate = run("system", "gate", "credit-prescreen", code=7).output
    assert "ok   sex: selection-rate ratio (disparate impact) 0.90 (95% CI 0." in gate
    assert "meets the floor of 0.8" in gate


def test_mitigate_prints_before_and_after_and_writes_predictions_that_audit_reads(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    frame = compas()
    frame = frame[frame.race.isin(["African-American", "Caucasian"])]
    test = frame.sample(frac=0.3, random_state=0)
    frame.drop(test.index).to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    out_csv = tmp_path / "mitigated.csv"
    common = [
        "fairness",
        "mitigate",
        str(tmp_path / "train.csv"),
        str(tmp_path / "test.csv"),
        "--label",
        "label",
        "--group",
        "race",
        "--features",
        "age,priors_count,juv_fel_count,c_charge_degree",
        "--resamples",
        "20",
    ]
    out = run(*common, "--keep", "sex", "--predictions-out", str(out_csv)).output
    assert out.startswith("threshold-optimizer (demographic_parity) over logistic-regression, 4 features")
    ratio = next(line for line in out.splitlines() if line.startswith("race.demographic_parity_ratio"))
    before, after = (float(x) for x in ratio.split()[1:3])
    assert before < 0.8 <= after
    assert "use the protected attribute at decision time" in out
    written = pd.read_csv(out_csv)
    assert list(written.columns) == [
        "race",
        "sex",
        "label",
        "prediction",
        "score",
        "baseline_prediction",
        "baseline_score",
    ]
    assert len(written) == len(test)
    audited = json.loads(
        run(
            "fairness",
            str(out_csv),
            "--label",
            "label",
            "--prediction",
            "prediction",
            "--group",
            "race",
            "--json",
            "--resamples",
            "0",
        ).output
    )
    assert audited["attributes"]["race"]["demographic_parity_ratio"]["value"] == pytest.approx(
        after, abs=0.0005
    )
    as_json = json.loads(run(*common, "--json").output)
    assert as_json["comparison"]["race.demographic_parity_ratio"]["after"] == pytest.approx(after, abs=0.0005)
    bad = run(*common, "--features", "age,race", code=5).output
    assert "race cannot be both a feature and the label or a group" in bad
