"""Mitigating unfair outcomes of a scikit-learn model with fairlearn, and showing what it costs.

Two of fairlearn's methods, chosen because they fit any scikit-learn-compatible classifier:

* ``threshold-optimizer`` (post-processing): keeps the fitted model and picks a decision threshold
  per group so the chosen constraint holds on the training data. Cheap, but the protected attribute
  is needed *at decision time*, which is disparate treatment in some jurisdictions (credit, hiring):
  the report says so.
* ``exponentiated-gradient`` (reductions): retrains the model as a randomised mixture of
  classifiers that meets the constraint; the attribute is needed only to train.

:func:`mitigate` fits the unmitigated baseline and the mitigated model on the same training rows,
predicts the same test rows, and audits both with :func:`steward.fairness.audit.audit`, so the gain
in fairness and the loss in accuracy are printed side by side rather than asserted.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from steward.errors import InputError
from steward.fairness.audit import FairnessReport, audit

__all__ = [
    "CONSTRAINTS",
    "ESTIMATORS",
    "METHODS",
    "OBJECTIVES",
    "Constraint",
    "Method",
    "MitigationResult",
    "build_estimator",
    "mitigate",
]

Method = Literal["threshold-optimizer", "exponentiated-gradient"]
Constraint = Literal["demographic_parity", "equalized_odds"]
METHODS: tuple[Method, ...] = ("threshold-optimizer", "exponentiated-gradient")
CONSTRAINTS: tuple[Constraint, ...] = ("demographic_parity", "equalized_odds")
OBJECTIVES = ("accuracy_score", "balanced_accuracy_score")
#: Built-in estimators by name; anything else is ``module:callable`` returning an unfitted estimator.
ESTIMATORS: dict[str, Callable[[], Any]] = {
    "logistic-regression": lambda: LogisticRegression(max_iter=1000),
}
#: One-hot levels a categorical feature may have before it is refused (an id column, not a category).
CATEGORY_LEVELS_MAX = 1000


@dataclass(frozen=True, slots=True)
class MitigationResult:
    """The baseline and the mitigated model on the same test rows."""

    method: Method
    constraint: Constraint
    settings: dict[str, Any]
    features: list[str]
    before: FairnessReport
    after: FairnessReport
    baseline_prediction: npt.NDArray[np.int64]
    baseline_score: npt.NDArray[np.float64]
    prediction: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]
    needs_attribute_at_decision: bool

    def to_dict(self) -> dict[str, Any]:
        """Before and after, side by side, as ``steward fairness mitigate --json`` prints it."""
        overall_keys = ("accuracy", "selection_rate", "precision", "recall", "fpr", "auprc")
        summary_keys = ("demographic_parity_ratio", "equalized_odds_difference")
        comparison: dict[str, dict[str, float | None]] = {}
        for key in overall_keys:
            comparison[key] = {"before": self.before.overall.get(key), "after": self.after.overall.get(key)}
        for summary in self.before.attributes:
            after = self.after.summary(summary.attribute)
            for key in summary_keys:
                comparison[f"{summary.attribute}.{key}"] = {
                    "before": summary.metrics[key].value,
                    "after": after.metrics[key].value,
                }
        return {
            "method": self.method,
            "constraint": self.constraint,
            "settings": self.settings,
            "features": self.features,
            "needs_attribute_at_decision": self.needs_attribute_at_decision,
            "comparison": comparison,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


def build_estimator(spec: str) -> Any:
    """An unfitted estimator from a built-in name or ``package.module:callable``.

    The callable is the user's own code, imported from the Python path like a plugin; it must
    return an object with ``fit``, ``predict`` and ``predict_proba``.
    """
    if spec in ESTIMATORS:
        return ESTIMATORS[spec]()
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        known = ", ".join(ESTIMATORS)
        raise InputError(
            f"{spec!r} is neither a built-in estimator ({known}) nor module:callable", field="estimator"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"{spec!r} cannot be imported ({exc})", field="estimator") from None
    estimator = factory() if callable(factory) else None
    if not all(hasattr(estimator, m) for m in ("fit", "predict", "predict_proba")):
        raise InputError(
            f"{spec!r} did not return an estimator with fit, predict and predict_proba", field="estimator"
        )
    return estimator


def _encoder(train: pd.DataFrame, features: Sequence[str]) -> ColumnTransformer:
    """Numbers scaled (missing ones imputed with the median), everything else one-hot encoded."""
    numeric, categorical = [], []
    for name in features:
        parsed = pd.to_numeric(train[name], errors="coerce")
        if parsed.notna().sum() == train[name].notna().sum():
            numeric.append(name)
        else:
            levels = train[name].nunique()
            if levels > CATEGORY_LEVELS_MAX:
                raise InputError(
                    f"column {name!r} has {levels} distinct text values, too many to one-hot encode "
                    "(leave it out with --exclude)",
                    field="features",
                )
            categorical.append(name)
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    if categorical:
        parts.append(
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)
        )
    return ColumnTransformer(parts)


def _numeric_frame(frame: pd.DataFrame, features: Sequence[str], numeric: Sequence[str]) -> pd.DataFrame:
    out = frame[list(features)].copy()
    for name in numeric:
        out[name] = pd.to_numeric(out[name], errors="coerce")
    for name in features:
        if name not in numeric:
            out[name] = out[name].astype(str)
    return out


def _constraint(constraint: Constraint, difference_bound: float | None, ratio_bound: float | None) -> Any:
    kwargs: dict[str, float] = {}
    if difference_bound is not None:
        kwargs["difference_bound"] = difference_bound
    if ratio_bound is not None:
        kwargs["ratio_bound"] = ratio_bound
    return DemographicParity(**kwargs) if constraint == "demographic_parity" else EqualizedOdds(**kwargs)


def mitigate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    train_labels: npt.NDArray[Any],
    test_labels: npt.NDArray[Any],
    features: Sequence[str],
    sensitive: Sequence[str],
    method: Method = "threshold-optimizer",
    constraint: Constraint = "demographic_parity",
    estimator: str = "logistic-regression",
    objective: str = "accuracy_score",
    difference_bound: float | None = None,
    ratio_bound: float | None = None,
    seed: int = 0,
    resamples: int = 200,
    min_group_size: int = 30,
) -> MitigationResult:
    """Fit the baseline and the mitigated model on ``train``; audit both on ``test``."""
    if method not in METHODS:
        raise InputError(f"{method!r} is not one of {', '.join(METHODS)}", field="method")
    if constraint not in CONSTRAINTS:
        raise InputError(f"{constraint!r} is not one of {', '.join(CONSTRAINTS)}", field="constraint")
    if objective not in OBJECTIVES:
        raise InputError(f"{objective!r} is not one of {', '.join(OBJECTIVES)}", field="objective")
    if not features:
        raise InputError("no feature columns are left to train on", field="features")
    if not sensitive:
        raise InputError("name at least one group column to mitigate for", field="group")
    for labels, where in ((train_labels, "training"), (test_labels, "test")):
        if len(np.unique(labels)) < 2:
            raise InputError(
                "labels hold a single class; a classifier cannot be trained or judged", field=where
            )
    if difference_bound is not None and not 0 < difference_bound <= 1:
        raise InputError(f"must be in (0, 1], got {difference_bound}", field="difference_bound")
    if ratio_bound is not None and not 0 < ratio_bound <= 1:
        raise InputError(f"must be in (0, 1], got {ratio_bound}", field="ratio_bound")

    encoder = _encoder(train, features)
    numeric = [c for name, _, cols in encoder.transformers for c in cols if name == "numeric"]
    x_train = encoder.fit_transform(_numeric_frame(train, features, numeric))
    x_test = encoder.transform(_numeric_frame(test, features, numeric))
    y_train = np.asarray(train_labels, dtype=np.int64)
    y_test = np.asarray(test_labels, dtype=np.int64)
    s_train = _sensitive(train, sensitive)
    s_test = _sensitive(test, sensitive)

    prototype = build_estimator(estimator)
    base = clone(prototype).fit(x_train, y_train)
    base_score = np.asarray(base.predict_proba(x_test)[:, 1], dtype=np.float64)
    base_pred = np.asarray(base.predict(x_test), dtype=np.int64)

    settings: dict[str, Any] = {"estimator": estimator, "seed": seed}
    if method == "threshold-optimizer":
        tol = difference_bound
        post = ThresholdOptimizer(
            estimator=base,
            constraints=constraint,
            objective=objective,
            prefit=True,
            predict_method="predict_proba",
            tol=tol,
        )
        post.fit(x_train, y_train, sensitive_features=s_train)
        pred = np.asarray(post.predict(x_test, sensitive_features=s_test, random_state=seed), dtype=np.int64)
        # The decision is a per-group threshold on the unchanged model's score; the score still ranks.
        score = base_score
        settings.update({"objective": objective, "tol": tol})
        needs_attribute = True
    else:
        reduction = ExponentiatedGradient(
            clone(prototype), constraints=_constraint(constraint, difference_bound, ratio_bound)
        )
        with warnings.catch_warnings():
            # fairlearn 0.15's reductions grow a Series with .at and change its dtype in place, which
            # pandas 3 deprecates; the result is unchanged and the warning is nothing a user can act on.
            warnings.filterwarnings("ignore", category=getattr(pd.errors, "Pandas4Warning", FutureWarning))
            reduction.fit(x_train, y_train, sensitive_features=s_train)
        pred = np.asarray(reduction.predict(x_test, random_state=seed), dtype=np.int64)
        # The mixture's probability of a positive decision, weighting each member's own probability.
        weights = np.asarray(reduction.weights_, dtype=np.float64)
        members = np.column_stack([_positive_proba(m, x_test) for m in reduction.predictors_])
        score = np.clip(members @ weights / max(weights.sum(), 1e-12), 0.0, 1.0)
        settings.update(
            {"difference_bound": difference_bound, "ratio_bound": ratio_bound, "members": len(weights)}
        )
        needs_attribute = False

    groups = {name: test[name].astype(str).to_numpy() for name in sensitive}
    common = {"resamples": resamples, "seed": seed, "min_group_size": min_group_size}
    names = {"label": "label", "prediction": "prediction", "score": "score"}
    before = audit(y_test, base_pred, groups, scores=base_score, column_names=names, **common)
    after = audit(y_test, pred, groups, scores=score, column_names=names, **common)
    return MitigationResult(
        method=method,
        constraint=constraint,
        settings=settings,
        features=list(features),
        before=before,
        after=after,
        baseline_prediction=base_pred,
        baseline_score=base_score,
        prediction=pred,
        score=score,
        needs_attribute_at_decision=needs_attribute,
    )


def _positive_proba(model: Any, x: Any) -> npt.NDArray[np.float64]:
    """P(positive) from ``model``; a member the reduction fitted on one class only says 0 or 1."""
    proba = np.asarray(model.predict_proba(x), dtype=np.float64)
    classes = list(getattr(model, "classes_", [0, 1]))
    if 1 in classes:
        return proba[:, classes.index(1)]
    return np.zeros(proba.shape[0])


def _sensitive(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series | pd.DataFrame:
    """The protected attribute(s) fairlearn constrains: one column, or their intersection."""
    if len(columns) == 1:
        return frame[columns[0]].astype(str)
    return frame[list(columns)].astype(str)
