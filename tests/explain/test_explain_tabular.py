"""``steward explain`` on UCI Adult: permutation importance and SHAP values of a small logistic
regression, recorded as evidence and shown in the model card."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from steward.cli.exit_codes import ExitCode
from steward.explain.tabular import INSTALL_HINT, explain_table, load_table

DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ADULT = DATA / "adult"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance"
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
#: Not model inputs, as in the worked example: sex and race only measure group results.
LEFT_OUT = ["fnlwgt", "race", "sex"]


def _fit(x: pd.DataFrame, y: pd.Series) -> Any:
    numeric = [c for c in x.columns if c in NUMERIC or c == "noise"]
    categorical = [c for c in x.columns if c not in numeric]
    encode = make_column_transformer(
        (StandardScaler(), numeric), (OneHotEncoder(handle_unknown="ignore"), categorical)
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000)).fit(x, y)


@pytest.fixture(scope="module")
def adult(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model trained on 2,000 rows of adult.data with a pure-noise column, and 400 test rows."""
    folder = tmp_path_factory.mktemp("adult")
    rng = np.random.default_rng(0)
    x, y = load_table(ADULT / "adult.data", target="income", columns=COLUMNS, limit=2000)
    x = x.drop(columns=LEFT_OUT).assign(noise=rng.normal(size=len(x)))
    model = _fit(x, y)
    xt, yt = load_table(ADULT / "adult.test", target="income", columns=COLUMNS, limit=400)
    xt = xt.drop(columns=LEFT_OUT).assign(noise=rng.normal(size=len(xt)))
    model_path = folder / "credit-lr.joblib"
    joblib.dump(model, model_path)
    test_csv = folder / "adult-test.csv"
    xt.assign(income=yt).to_csv(test_csv, index=False)
    plain = folder / "plain.joblib"  # no noise column: reads the headerless UCI file as it is
    joblib.dump(_fit(x.drop(columns=["noise"]), y), plain)
    return {"model": model, "x": xt, "y": yt, "model_path": model_path, "csv": test_csv, "plain": plain}


def test_permutation_importance_finds_signal_and_not_noise(adult: dict[str, Any]) -> None:
    report = explain_table(adult["model"], adult["x"], adult["y"], use_shap=False, scoring="roc_auc")
    ranked = list(report["by_feature"])
    assert ranked[0] in {"marital-status", "relationship", "capital-gain", "education-num"}
    noise = report["by_feature"]["noise"]
    top = report["by_feature"][ranked[0]]
    assert abs(noise["permutation_importance"]) < 0.01 < top["permutation_importance"]
    assert top["permutation_importance"] > 5 * abs(noise["permutation_importance"])
    assert 0.75 < report["baseline_score"] <= 1.0  # ROC AUC of the model on held-out rows
    assert report["shap"] == {"available": False, "reason": "SHAP values were not asked for (--no-shap)"}


def test_shap_values_of_one_row_add_up_to_its_prediction(adult: dict[str, Any]) -> None:
    report = explain_table(
        adult["model"], adult["x"], adult["y"], row=7, explain_rows=20, background_rows=20, repeats=2
    )
    assert report["shap"]["available"] is True
    local = report["local"]
    total = local["base_value"] + sum(v["local_shap"] for v in report["by_feature"].values())
    assert total == pytest.approx(local["prediction"], abs=1e-6)  # SHAP's efficiency property
    expected = adult["model"].predict_proba(adult["x"].iloc[[7]])[0, 1]
    assert local["prediction"] == pytest.approx(expected)
    assert local["feature_values"]["marital-status"] == str(adult["x"].iloc[7]["marital-status"])
    by = report["by_feature"]
    assert by["noise"]["mean_abs_shap"] < by["marital-status"]["mean_abs_shap"]


def test_a_missing_shap_package_is_said_plainly(
    adult: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "shap", None)  # import shap -> ImportError
    report = explain_table(adult["model"], adult["x"], adult["y"], repeats=1)
    assert report["shap"]["available"] is False
    assert (
        "shap package is not installed" in report["shap"]["reason"]
        and INSTALL_HINT in report["shap"]["reason"]
    )
    assert "local" not in report and "mean_abs_shap" not in report["by_feature"]["age"]
    assert report["by_feature"]["age"]["permutation_importance_std"] >= 0


def test_explanation_is_recorded_as_evidence_and_shown_in_the_model_card(run, adult: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    result = run(
        "explain", str(adult["model_path"]), str(adult["csv"]), "--target", "income", "--row", "3",
        "--repeats", "2", "--shap-rows", "20", "--background-rows", "20",
        "--record", "credit-prescreen", "--subject", "model:credit-lr", "--subject-version", "1.0",
    )  # fmt: skip
    assert "recorded ev-" in result.output and "mean|SHAP|" in result.output
    assert "row 3: P(>50K) = " in result.output
    listed = json.loads(run("evidence", "list", "credit-prescreen", "--json").stdout)["evidence"]
    explanation = next(e for e in listed if e["kind"] == "explanation")
    noise, marital = explanation["slices"]["noise"], explanation["slices"]["marital-status"]
    assert abs(noise["permutation_importance"]) < marital["permutation_importance"]
    assert set(explanation["slices"]) == {c for c in COLUMNS if c not in [*LEFT_OUT, "income"]} | {"noise"}
    assert "local.prediction" in explanation["metrics"]
    cards = json.loads(run("card", "credit-prescreen", "--format", "json").stdout)
    card = cards["credit-prescreen-model-card-credit-lr"]
    section = next(s for s in card["sections"] if s["title"] == "Explainability")
    table = section["tables"][0]
    assert list(table["rows"][0])[:3] == ["feature", "permutation importance", "± std"]
    assert "mean |SHAP|" in table["rows"][0] and "SHAP, one row" in table["rows"][0]
    features = [row["feature"] for row in table["rows"]]
    assert "marital-status" in features[:4] and features.index("noise") > 3
    assert explanation["id"] in table["caption"] and "row 3" in table["caption"]
    system = cards["credit-prescreen-system-card"]
    section = next(s for s in system["sections"] if s["title"] == "Explainability")
    assert section["text"][0].startswith("A linear model")  # the inventory's own statement stays
    assert section["tables"][0]["rows"][0]["feature"] == table["rows"][0]["feature"]


def test_headerless_uci_file_and_bad_inputs(run, adult: dict[str, Any], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    columns = ",".join(COLUMNS)
    out = run(
        "explain", str(adult["plain"]), str(ADULT / "adult.test"), "--target", "income", "--columns", columns,
        "--limit", "300", "--drop", "fnlwgt,race,sex", "--no-shap", "--repeats", "1", "--json",
    ).stdout  # fmt: skip
    report = json.loads(out)
    assert report["n"] == 300 and "sex" not in report["by_feature"] and report["shap"]["available"] is False
    garbage = tmp_path / "model.joblib"
    garbage.write_bytes(b"\x00not a pickle")
    err = run(
        "explain", str(garbage), str(adult["csv"]), "--target", "income", code=ExitCode.INPUT_ERROR
    ).output
    assert "is not a model joblib can load" in err and "Traceback" not in err
    err = run(
        "explain",
        str(adult["model_path"]),
        str(adult["csv"]),
        "--target",
        "salary",
        code=ExitCode.INPUT_ERROR,
    ).output
    assert "has no column 'salary'" in err
    err = run(
        "explain", str(adult["model_path"]), str(adult["csv"]), "--target", "income", "--row", "99999",
        "--no-shap", code=ExitCode.INPUT_ERROR,
    ).output  # fmt: skip
    assert "row 99999" in err and "out of range" in err
    err = run(
        "explain", str(adult["model_path"]), str(adult["csv"]), "--target", "income", "--scoring", "nonsense",
        "--no-shap", code=ExitCode.INPUT_ERROR,
    ).output  # fmt: skip
    assert "scorer" in err
    run(
        "explain",
        str(adult["model_path"]),
        str(adult["csv"]),
        "--target",
        "income",
        "--record",
        "x",
        code=ExitCode.USAGE,
    )


def test_labels_the_model_never_saw_are_refused_not_scored_as_zero(adult: dict[str, Any]) -> None:
    from steward.errors import InputError

    assert set(adult["y"]) == {"<=50K.", ">50K."}  # adult.test's own spelling, forgiven
    report = explain_table(adult["model"], adult["x"], adult["y"], use_shap=False, repeats=1)
    assert report["baseline_score"] > 0.7
    wrong = adult["y"].map(lambda v: "approved" if v.startswith(">") else v)
    with pytest.raises(InputError, match="approved that are not among the model's classes"):
        explain_table(adult["model"], adult["x"], wrong, use_shap=False, repeats=1)
