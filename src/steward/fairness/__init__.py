"""Fairness of predictive models: per-group measurement with intervals, and mitigation.

* :mod:`steward.fairness.tables` reads predictions or training rows (CSV, JSON Lines, Parquet);
* :mod:`steward.fairness.audit` measures per-group rates, ratios and differences with a
  stratified bootstrap, on fairlearn's ``MetricFrame``;
* :mod:`steward.fairness.mitigate` retrains or post-processes a scikit-learn model with
  fairlearn's ``ExponentiatedGradient`` or ``ThresholdOptimizer`` and reports before and after.

pandas, fairlearn, scikit-learn and pyarrow are the optional ``fairness`` extra; importing this
package without them raises a :class:`~steward.errors.StewardError` saying how to install them.
"""

from __future__ import annotations

from steward.errors import StewardError

try:
    import fairlearn  # noqa: F401
    import pandas  # noqa: F401
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise StewardError(
        f"fairness measurement needs the optional package {exc.name!r}: pip install 'steward[fairness]'"
    ) from None

from steward.fairness.audit import (
    FOUR_FIFTHS,
    MIN_GROUP_SIZE,
    AttributeSummary,
    Estimate,
    FairnessReport,
    GroupResult,
    audit,
)
from steward.fairness.tables import read_table

__all__ = [
    "FOUR_FIFTHS",
    "MIN_GROUP_SIZE",
    "AttributeSummary",
    "Estimate",
    "FairnessReport",
    "GroupResult",
    "audit",
    "read_table",
]
