"""Real data for the fairness tests: COMPAS and UCI Adult from ``../shared/data``, loaded once.

COMPAS carries a real model's output (the decile score; "medium or high risk" = decile >= 5 is
the decision ProPublica examined); Adult gets a plain, deterministic decision rule
(``education-num >= 13``: a bachelor's degree or more) so no model is trained to test a metric.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
COMPAS = DATA / "compas" / "compas-scores-two-years.csv"
ADULT = DATA / "adult" / "adult.data"
ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]


@cache
def compas() -> pd.DataFrame:
    """COMPAS two-year recidivism with ``decision`` (decile >= 5) and ``score`` (decile / 10)."""
    frame = pd.read_csv(COMPAS)
    frame = frame.assign(
        decision=(frame["decile_score"] >= 5).astype(int),
        score=frame["decile_score"] / 10,
        label=frame["two_year_recid"].astype(int),
    )
    return frame[
        [
            "sex",
            "race",
            "age",
            "priors_count",
            "juv_fel_count",
            "c_charge_degree",
            "label",
            "decision",
            "score",
        ]
    ]


@cache
def adult() -> pd.DataFrame:
    """UCI Adult training rows with ``label`` (income >50K) and ``decision`` (education-num >= 13)."""
    frame = pd.read_csv(ADULT, names=ADULT_COLUMNS, skipinitialspace=True)
    return frame.assign(
        label=(frame["income"] == ">50K").astype(int),
        decision=(frame["education-num"] >= 13).astype(int),
    )
