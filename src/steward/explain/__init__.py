"""Explanations: of tabular models (permutation importance, SHAP) and of the guard's learned
detectors (which words raised a score, by occlusion).

:mod:`steward.explain.tabular` needs the ``explain`` extra (scikit-learn, pandas, optionally
shap) and imports it only when called; :mod:`steward.explain.occlusion` needs only the guard.
"""

from __future__ import annotations
