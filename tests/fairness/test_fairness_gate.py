"""Release gates with fairness limits, fed by real measurements (the example's credit model, COMPAS)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fairness_data import DATA, compas

from steward.errors import InputError
from steward.fairness import audit
from steward.fairness.audit import FairnessReport
from steward.fairness.mitigate import mitigate
from steward.govern._validation import parse_model
from steward.govern.evidence import Evidence, evidence_from_metrics_json
from steward.govern.gates import GateCheck, evaluate_gate
from steward.govern.inventory import AISystem, Lifecycle
from steward.govern.requirements import EvidenceKind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "governance"
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _evidence(system: AISystem, document: dict[str, Any], *, name: str, version: str = "1.0") -> Evidence:
    return evidence_from_metrics_json(
        json.dumps(document).encode(),
        system_id=system.id,
        system_version=system.version,
        kind=EvidenceKind.FAIRNESS,
        name=name,
        subject="model:credit-lr",
        subject_version=version,
        recorded_at=NOW,
    )


def _checks(system: AISystem, evidence: list[Evidence]) -> dict[str, GateCheck]:
    decision = evaluate_gate(system, Lifecycle.DEPLOYMENT, risks=[], evidence=evidence, now=NOW)
    return {c.name: c for c in decision.checks}


def _system(limits: list[dict[str, Any]], **requirement: Any) -> AISystem:
    doc = yaml.safe_load((EXAMPLE / "credit-prescreen-fixed.yaml").read_text())
    doc["release_requirements"] = [
        {"kind": "fairness", "name": "groups", "protected_attributes": limits, **requirement}
    ]
    return AISystem.model_validate(doc)


@pytest.fixture(scope="module")
def credit_predictions(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The worked example's credit model, trained by its own script on Adult."""
    out = tmp_path_factory.mktemp("credit")
    subprocess.run(
        [
            sys.executable,
            str(EXAMPLE / "train_credit_model.py"),
            "--data",
            str(DATA / "adult"),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return pd.read_csv(out / "credit-predictions.csv")


def test_the_example_credit_model_is_refused_for_disparate_impact_by_sex(
    credit_predictions: pd.DataFrame,
) -> None:
    frame = credit_predictions
    report = audit(frame.label, frame.prediction, {"sex": frame.sex, "race": frame.race}, resamples=200)
    system = AISystem.model_validate(yaml.safe_load((EXAMPLE / "credit-prescreen-fixed.yaml").read_text()))
    checks = _checks(system, [_evidence(system, report.evidence_document(), name="credit-lr groups")])
    ratio = checks["fairness:sex.demographic_parity_ratio"]
    by_sex = frame.groupby("sex").prediction.mean()
    assert by_sex["Female"] / by_sex["Male"] == pytest.approx(0.32, abs=0.005)
    assert not ratio.passed
    assert ratio.detail.startswith("sex: selection-rate ratio (disparate impact) 0.32 (95% CI 0.")
    assert "is under the floor of 0.8" in ratio.detail
    # The per-group thresholds of the same requirement still pass: only the ratio refuses.
    assert checks["threshold:min_group[sex].tpr >= 0.4"].passed


@pytest.fixture(scope="module")
def compas_mitigation() -> tuple[FairnessReport, FairnessReport]:
    frame = compas()
    frame = frame[frame.race.isin(["African-American", "Caucasian"])].reset_index(drop=True)
    test = frame.sample(frac=0.3, random_state=0)
    train = frame.drop(test.index)
    result = mitigate(
        train,
        test,
        train_labels=train.label.to_numpy(),
        test_labels=test.label.to_numpy(),
        features=["age", "priors_count", "juv_fel_count", "c_charge_degree"],
        sensitive=["race"],
        resamples=100,
    )
    return result.before, result.after


def test_mitigation_turns_the_ratio_check_from_refused_to_passed(
    compas_mitigation: tuple[FairnessReport, FairnessReport],
) -> None:
    before, after = compas_mitigation
    system = _system([{"attribute": "race", "min_selection_rate_ratio": 0.8}])
    refused = _checks(system, [_evidence(system, before.evidence_document(), name="groups")])
    allowed = _checks(system, [_evidence(system, after.evidence_document(), name="groups")])
    key = "fairness:race.demographic_parity_ratio"
    assert not refused[key].passed and "is under the floor of 0.8" in refused[key].detail
    assert allowed[key].passed and "meets the floor of 0.8" in allowed[key].detail
    value = after.summary("race").metrics["demographic_parity_ratio"].value
    assert f"race: selection-rate ratio (disparate impact) {value:.2f}" in allowed[key].detail


def test_the_equalized_odds_ceiling_is_checked_on_its_own(
    compas_mitigation: tuple[FairnessReport, FairnessReport],
) -> None:
    before, after = compas_mitigation
    # Parity by race also narrowed the TPR/FPR gaps on COMPAS: 0.05 after, against more before.
    eod_before = before.summary("race").metrics["equalized_odds_difference"].value
    eod_after = after.summary("race").metrics["equalized_odds_difference"].value
    assert eod_before is not None and eod_after is not None and eod_after < 0.1 < eod_before
    key = "fairness:race.equalized_odds_difference"
    system = _system([{"attribute": "race", "max_equalized_odds_difference": 0.1}])
    refused = _checks(system, [_evidence(system, before.evidence_document(), name="groups")])[key]
    assert not refused.passed
    assert f"race: equalized odds difference {eod_before:.2f}" in refused.detail
    assert "is over the limit of 0.1" in refused.detail
    allowed = _checks(system, [_evidence(system, after.evidence_document(), name="groups")])[key]
    assert allowed.passed and "is within the limit of 0.1" in allowed.detail
    assert "fairness:race.demographic_parity_ratio" not in _checks(system, [])


def test_per_group_slices_stand_in_when_the_evidence_has_no_summary() -> None:
    system = _system(
        [{"attribute": "sex", "min_selection_rate_ratio": 0.8, "max_equalized_odds_difference": 0.1}]
    )
    document = {
        "recall": 0.6,
        "by_group": {
            "sex": {
                "Female": {"selection_rate": 0.08, "recall": 0.53, "fpr": 0.02},
                "Male": {"selection_rate": 0.25, "recall": 0.60, "fpr": 0.09},
            }
        },
    }
    checks = _checks(system, [_evidence(system, document, name="groups")])
    ratio = checks["fairness:sex.demographic_parity_ratio"]
    assert not ratio.passed and "0.32 (from the per-group slices, no interval)" in ratio.detail
    odds = checks["fairness:sex.equalized_odds_difference"]
    assert odds.passed and "0.07 (from the per-group slices, no interval)" in odds.detail


def test_an_attribute_the_evidence_did_not_measure_is_refused_with_a_hint() -> None:
    system = _system([{"attribute": "age_band", "min_selection_rate_ratio": 0.8}])
    checks = _checks(system, [_evidence(system, {"recall": 0.5}, name="groups")])
    check = checks["fairness:age_band.demographic_parity_ratio"]
    assert not check.passed
    assert "has no selection-rate ratio (disparate impact) for 'age_band'" in check.detail
    assert "steward fairness --group age_band" in check.detail


@pytest.mark.parametrize(
    ("limits", "kind", "message"),
    [
        ([{"attribute": "sex", "min_selection_rate_ratio": 1.2}], "fairness", "less than or equal to 1"),
        (
            [{"attribute": "sex", "max_equalized_odds_difference": -0.1}],
            "fairness",
            "greater than or equal to 0",
        ),
        ([{"attribute": "sex", "min_selection_rate_ratio": "high"}], "fairness", "valid number"),
        ([{"attribute": "sex"}], "fairness", "attribute 'sex' sets no limit"),
        ([{"attribute": "sex", "min_ratio": 0.8}], "fairness", "min_ratio"),
        (
            [
                {"attribute": "sex", "min_selection_rate_ratio": 0.8},
                {"attribute": "sex", "min_selection_rate_ratio": 0.9},
            ],
            "fairness",
            "lists 'sex' more than once",
        ),
        (
            [{"attribute": "sex", "min_selection_rate_ratio": 0.8}],
            "review",
            "apply to fairness or evaluation evidence",
        ),
    ],
)
def test_bad_fairness_limits_in_a_system_file_are_named(
    limits: list[dict[str, Any]], kind: str, message: str
) -> None:
    doc = yaml.safe_load((EXAMPLE / "credit-prescreen-fixed.yaml").read_text())
    doc["release_requirements"] = [{"kind": kind, "protected_attributes": limits}]
    with pytest.raises(InputError, match=message) as caught:
        parse_model(AISystem, doc, origin="credit.yaml")
    assert "credit.yaml" in str(caught.value) and "release_requirements" in str(caught.value)
