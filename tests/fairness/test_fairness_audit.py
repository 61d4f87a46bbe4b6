"""steward.fairness.audit on COMPAS and Adult, checked against pandas and fairlearn's own functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
)
from fairness_data import adult, compas

from steward.errors import InputError
from steward.fairness.audit import _cell_sums, audit


def _by_group(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The per-group figures, computed independently with a pandas groupby."""
    rows = []
    for key, g in frame.groupby(columns):
        pos, neg, chosen = g[g.label == 1], g[g.label == 0], g[g.decision == 1]
        rows.append(
            {
                "group": "&".join(key if isinstance(key, tuple) else (key,)),
                "n": len(g),
                "selection_rate": g.decision.mean(),
                "tpr": pos.decision.mean() if len(pos) else None,
                "fpr": neg.decision.mean() if len(neg) else None,
                "precision": chosen.label.mean() if len(chosen) else None,
                "mean_score": g.score.mean(),
                "observed_rate": g.label.mean(),
            }
        )
    return pd.DataFrame(rows).set_index("group")


def test_per_group_and_intersectional_rates_match_a_pandas_groupby_on_compas() -> None:
    frame = compas()
    report = audit(
        frame.label, frame.decision, {"race": frame.race, "sex": frame.sex}, scores=frame.score, resamples=0
    )
    for attribute, columns in (("race", ["race"]), ("sex", ["sex"]), ("race&sex", ["race", "sex"])):
        expected = _by_group(frame, columns)
        got = {g.group: g for g in report.groups if g.attribute == attribute}
        assert set(got) == set(expected.index)
        for name, row in expected.iterrows():
            group = got[name]
            assert group.n == row["n"]
            if group.inestimable:
                assert row["n"] < 30
                continue
            for metric in ("selection_rate", "mean_score", "observed_rate"):
                assert group.metrics[metric].value == pytest.approx(row[metric], abs=1e-12), (name, metric)
            for metric in ("tpr", "fpr", "precision"):
                value = group.metrics[metric].value
                if value is not None:
                    assert value == pytest.approx(row[metric], abs=1e-12), (name, metric)
    # ProPublica's finding, reproduced: African-American defendants are flagged at ~0.59, Caucasian at ~0.35.
    race = {g.group: g for g in report.groups if g.attribute == "race"}
    assert race["African-American"].metrics["selection_rate"].value == pytest.approx(0.588, abs=0.001)
    assert race["Caucasian"].metrics["selection_rate"].value == pytest.approx(0.348, abs=0.001)
    assert report.overall["recall"] == pytest.approx(frame[frame.label == 1].decision.mean())


def test_ratios_and_gaps_match_fairlearn_where_every_group_is_estimable() -> None:
    frame = adult()
    report = audit(frame.label, frame.decision, {"sex": frame.sex}, resamples=0)
    sex = report.summary("sex")
    kwargs = {"sensitive_features": frame.sex}
    assert sex.metrics["demographic_parity_ratio"].value == pytest.approx(
        demographic_parity_ratio(frame.label, frame.decision, **kwargs)
    )
    assert sex.metrics["demographic_parity_difference"].value == pytest.approx(
        demographic_parity_difference(frame.label, frame.decision, **kwargs)
    )
    assert sex.metrics["equalized_odds_difference"].value == pytest.approx(
        equalized_odds_difference(frame.label, frame.decision, **kwargs)
    )
    # Degree holders are as common among women as men, so this rule passes the four-fifths rule.
    by_sex = frame.groupby("sex").decision.mean()
    assert sex.metrics["demographic_parity_ratio"].value == pytest.approx(by_sex.min() / by_sex.max())
    assert sex.four_fifths == ("pass" if by_sex.min() / by_sex.max() >= 0.8 else "fail")


def test_small_groups_are_inestimable_with_a_reason_never_zero() -> None:
    frame = compas()
    report = audit(frame.label, frame.decision, {"race": frame.race}, resamples=100)
    race = {g.group: g for g in report.groups}
    native = race["Native American"]  # 18 people
    assert native.n == 18 and native.inestimable == "18 rows, under the minimum of 30"
    assert all(m.value is None and m.reason == native.inestimable for m in native.metrics.values())
    summary = report.summary("race")
    assert summary.excluded == ["Native American"]
    # Asian: 32 people, 9 of them reoffended: the group counts, its TPR does not.
    asian = race["Asian"]
    assert asian.inestimable is None and asian.metrics["selection_rate"].value == pytest.approx(8 / 32)
    assert asian.metrics["tpr"].value is None
    assert asian.metrics["tpr"].reason == "9 positive labels, under the minimum of 10"
    # The ratio uses only estimable groups: recomputed here without Native American.
    kept = frame[frame.race != "Native American"].groupby("race").decision.mean()
    assert summary.metrics["demographic_parity_ratio"].value == pytest.approx(kept.min() / kept.max())
    doc = report.evidence_document()
    assert doc["by_group"]["race"]["Native American"] == {"n": 18.0}
    assert "tpr" not in doc["by_group"]["race"]["Asian"]
    as_json = report.to_dict()
    native_json = next(g for g in as_json["groups"] if g["group"] == "Native American")
    assert native_json["metrics"]["selection_rate"] == {
        "value": None,
        "ci95": None,
        "inestimable": "18 rows, under the minimum of 30",
    }


def test_a_zero_denominator_is_inestimable_and_a_lone_group_gives_no_ratio() -> None:
    labels = [0] * 40 + [1] * 20 + [0] * 20
    decisions = [0] * 40 + [1] * 10 + [0] * 10 + [1] * 5 + [0] * 15
    groups = {"g": ["a"] * 40 + ["b"] * 40}
    report = audit(labels, decisions, groups, resamples=50)
    a = next(g for g in report.groups if g.group == "a")
    assert a.metrics["tpr"].value is None and a.metrics["tpr"].reason == "no positive labels"
    assert a.metrics["precision"].reason == "no positive decisions"
    assert a.metrics["selection_rate"].value == 0.0  # a real zero stays a zero
    summary = report.summary("g")
    assert summary.metrics["tpr_difference"].value is None
    assert summary.metrics["equalized_odds_difference"].value is None  # half of it is missing
    assert summary.metrics["demographic_parity_ratio"].value == 0.0
    alone = audit(labels[:40], decisions[:40], {"g": ["a"] * 40}, resamples=0).summary("g")
    assert (
        alone.metrics["demographic_parity_ratio"].reason == "fewer than two groups with this rate estimable"
    )
    assert alone.four_fifths == "inestimable"


def test_intervals_contain_the_point_estimate_and_are_seeded() -> None:
    frame = compas()
    args = (frame.label, frame.decision, {"race": frame.race, "sex": frame.sex})
    report = audit(*args, scores=frame.score, resamples=300, seed=7)
    checked = 0
    for group in report.groups:
        for estimate in group.metrics.values():
            if estimate.value is None:
                continue
            assert estimate.low is not None and estimate.high is not None
            assert estimate.low <= estimate.value <= estimate.high, (group.group, estimate)
            checked += 1
    for attribute in ("sex", "race"):
        for name in ("demographic_parity_ratio", "equalized_odds_difference"):
            estimate = report.summary(attribute).metrics[name]
            assert estimate.low is not None and estimate.high is not None
            assert estimate.low <= estimate.value <= estimate.high  # type: ignore[operator]
    assert checked > 50
    # The race gap is large and certain: the whole interval is under the four-fifths line.
    assert report.summary("race").four_fifths == "fail" and report.summary("race").four_fifths_conclusive
    again = audit(*args, scores=frame.score, resamples=300, seed=7)
    assert again.to_dict() == report.to_dict()
    other = audit(*args, scores=frame.score, resamples=300, seed=8)
    assert other.to_dict()["attributes"] != report.to_dict()["attributes"]


def test_the_bootstrap_keeps_every_cells_size_in_every_resample() -> None:
    cells = np.array([0] * 7 + [1] * 50 + [2] * 3)
    ones = np.ones((len(cells), 1))
    sums = _cell_sums(ones, cells, 3, resamples=40, seed=0)
    assert sums.shape == (40, 3, 1)
    assert (sums[:, :, 0] == np.array([7, 50, 3])).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": [0, 1, 2]}, "label: must hold only 0 and 1"),
        ({"predictions": [0, 1]}, "prediction: has 2 values for 3 labels"),
        ({"groups": {}}, "group: name at least one group column"),
        ({"resamples": 10_001}, "resamples: must be between 0 and 10000"),
        ({"min_group_size": 0}, "min_group_size: must be between 1"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "labels": [0, 1, 1],
        "predictions": [0, 1, 0],
        "groups": {"g": ["a", "b", "a"]},
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        audit(
            args["labels"],
            args["predictions"],
            args["groups"],
            resamples=kwargs.get("resamples", 0),
            min_group_size=kwargs.get("min_group_size", 30),
        )  # type: ignore[arg-type]
