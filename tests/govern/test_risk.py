from __future__ import annotations

import datetime as dt

import pytest
from govern_builders import make_risk, risk_doc
from pydantic import ValidationError

from steward.errors import InputError
from steward.govern._validation import parse_model
from steward.govern.risk import Rating, Risk, rating_for


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (1, Rating.LOW),
        (4, Rating.LOW),
        (5, Rating.MEDIUM),
        (9, Rating.MEDIUM),
        (10, Rating.HIGH),
        (16, Rating.HIGH),
        (20, Rating.CRITICAL),
        (25, Rating.CRITICAL),
    ],
)
def test_rating_bands(score: int, rating: Rating) -> None:
    assert rating_for(score) is rating


def test_rating_rejects_scores_outside_the_scale() -> None:
    with pytest.raises(ValueError, match="1 to 25"):
        rating_for(0)


def test_scores_and_ratings_before_and_after_treatment() -> None:
    risk = make_risk(severity=5, likelihood=4, residual_severity=3, residual_likelihood=2)
    assert (risk.inherent_score, risk.inherent_rating) == (20, Rating.CRITICAL)
    assert (risk.residual_score, risk.residual_rating) == (6, Rating.MEDIUM)
    untreated = make_risk(treatment=None, mitigations=[], residual_severity=None, residual_likelihood=None)
    assert untreated.residual_score is None and untreated.residual_rating is None


def test_severity_seven_is_refused_naming_the_field() -> None:
    with pytest.raises(
        InputError, match=r"risk.yaml: is invalid: severity: Input should be less than or equal to 5"
    ):
        parse_model(Risk, risk_doc(severity=7), origin="risk.yaml")
    with pytest.raises(InputError, match="likelihood"):
        parse_model(Risk, risk_doc(likelihood="3"), origin="risk.yaml")


def test_inconsistent_risks_are_refused() -> None:
    with pytest.raises(ValidationError, match="together"):
        make_risk(residual_likelihood=None)
    with pytest.raises(ValidationError, match="above the inherent score"):
        make_risk(severity=2, likelihood=2, residual_severity=3, residual_likelihood=3)
    with pytest.raises(ValidationError, match="needs at least one mitigation"):
        make_risk(mitigations=[])


def test_assessment_gaps_name_what_is_missing() -> None:
    today = dt.date(2026, 11, 21)
    assert make_risk().assessment_gaps(today) == []
    draft = make_risk(
        treatment=None,
        mitigations=[],
        residual_severity=None,
        residual_likelihood=None,
        reviewed_by=None,
        reviewed_on=None,
    )
    gaps = draft.assessment_gaps(today)
    assert gaps == [
        "risk 'r1' has no treatment",
        "risk 'r1' has no residual severity and likelihood",
        "risk 'r1' has not been reviewed (reviewed_by, reviewed_on)",
    ]
    overdue = make_risk(review_date="2026-01-01")
    assert overdue.assessment_gaps(today) == ["risk 'r1' was due for review on 2026-01-01"]
