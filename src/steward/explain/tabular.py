"""Explanations of a tabular model: permutation importance (global) and SHAP values (global
and for one prediction), over the columns the model is fed, not its internal encoding.

Why both: permutation importance says how much the model's *score* on labelled data depends
on a column (shuffle it, measure the loss), which is what a reviewer of a release wants;
SHAP values say how each column moved *one prediction* away from the average, which is what
a person affected by a decision asks for. Both treat the model as a black box, so a
scikit-learn pipeline that one-hot encodes or scales its inputs is explained in the terms its
users know (``occupation``, not ``occupation_Sales``).

SHAP's maskers need numbers, so text columns are coded as category numbers for SHAP and
decoded before every call to the model; the model never sees the codes.

Optional packages: scikit-learn and pandas are needed (``pip install 'steward[explain]'``);
``shap`` is optional on top — without it the report says so plainly and gives permutation
importance alone.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from steward.errors import InputError, InputTooLargeError, StewardError

__all__ = [
    "INSTALL_HINT",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "explain_table",
    "load_model",
    "load_table",
    "shap_status",
]

INSTALL_HINT = "pip install 'steward[explain]'"
#: Rows read from a data file at most (sample larger sets before explaining them).
MAX_ROWS = 1_000_000
#: Columns a table may have.
MAX_COLUMNS = 500
#: Largest model or data file accepted.
MAX_FILE_BYTES = 1 << 30
#: Largest number of rows SHAP explains or uses as background (each costs model calls).
MAX_SHAP_ROWS = 2000

FloatArray = npt.NDArray[np.float64]
#: Stands for a missing value in a text column while SHAP handles category numbers.
_MISSING = "\x00missing"


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise StewardError(f"explaining a tabular model needs {module}: {INSTALL_HINT}") from None


def shap_status() -> str | None:
    """``None`` when shap imports; otherwise why not, in one sentence for the user."""
    try:
        importlib.import_module("shap")
    except ImportError as exc:
        return (
            f"SHAP values were not computed: the shap package is not installed here ({exc}); {INSTALL_HINT}"
        )
    return None


def _size_ok(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    if size > MAX_FILE_BYTES:
        raise InputTooLargeError(field=str(path), size=size, limit=MAX_FILE_BYTES, unit="bytes")


def load_model(path: Path) -> Any:
    """A fitted model saved with joblib or pickle, which must offer ``predict``.

    Loading such a file runs code from it: load only models you trained or trust.
    """
    joblib = _require("joblib")
    _size_ok(path)
    try:
        model = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign file can fail in any way inside unpickling
        raise InputError(
            f"is not a model joblib can load ({type(exc).__name__}: {exc})", field=str(path)
        ) from None
    if not callable(getattr(model, "predict", None)):
        raise InputError(f"holds a {type(model).__name__}, which has no predict()", field=str(path))
    return model


def load_table(
    path: Path, *, target: str, columns: Sequence[str] | None = None, limit: int | None = None
) -> tuple[Any, Any]:
    """Features and target from a CSV (``.csv``), JSONL (``.jsonl``) or Parquet (``.parquet``) file.

    ``columns`` names the columns of a CSV without a header line (UCI Adult). Spaces after
    commas are dropped and ``?`` is read as missing, as UCI files write it.
    """
    pd = _require("pandas")
    _size_ok(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".jsonl", ".json"):
            frame = pd.read_json(path, lines=True, nrows=MAX_ROWS + 1)
        else:
            frame = pd.read_csv(
                path,
                names=list(columns) if columns else None,
                header=None if columns else "infer",
                skipinitialspace=True,
                na_values=["?"],
                nrows=MAX_ROWS + 1,
                comment="|" if columns else None,
                encoding="utf-8",
            )
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=str(path)) from None
    except (ValueError, OSError, ImportError) as exc:
        raise InputError(f"cannot be read as a table ({exc})", field=str(path)) from None
    if len(frame) > MAX_ROWS:
        raise InputError(f"has more than {MAX_ROWS} rows; sample it first", field=str(path))
    if len(frame.columns) > MAX_COLUMNS:
        raise InputError(f"has more than {MAX_COLUMNS} columns", field=str(path))
    if target not in frame.columns:
        raise InputError(
            f"has no column {target!r} (columns: {', '.join(map(str, frame.columns[:30]))})", field=str(path)
        )
    frame = frame.dropna(subset=[target])
    if frame.empty:
        raise InputError(f"holds no rows with a {target!r} value", field=str(path))
    if limit is not None:
        frame = frame.iloc[:limit]
    return frame.drop(columns=[target]), frame[target]


def _features(model: Any, frame: Any) -> Any:
    """The columns the model was fitted on (``feature_names_in_``), in its order; extra ones dropped."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return frame
    missing = [str(n) for n in names if n not in frame.columns]
    if missing:
        raise InputError(f"lacks the model's input column(s) {', '.join(missing[:10])}", field="data")
    return frame[list(names)]


def _align_labels(model: Any, y: Any) -> Any:
    """``y`` in the model's own class labels, or an error naming the labels it does not know.

    A label the model never saw makes every score silently 0, so it is refused. One spelling
    difference is forgiven: a trailing full stop (UCI's ``adult.test`` writes ``>50K.``).
    """
    classes = getattr(model, "classes_", None)
    if classes is None:
        return y
    known = {str(c): c for c in classes}
    mapped = [known.get(str(v), known.get(str(v).rstrip("."))) for v in y]
    unknown = sorted({str(v) for v, m in zip(y, mapped, strict=True) if m is None})
    if unknown:
        raise InputError(
            f"holds label(s) {', '.join(unknown[:5])} that are not among the model's classes "
            f"({', '.join(map(str, classes))})",
            field="target column",
        )
    return type(y)(mapped, index=y.index, name=y.name) if hasattr(y, "index") else mapped


def _predictor(model: Any, positive: str | None) -> tuple[Callable[[Any], FloatArray], str]:
    """The number SHAP explains: the positive class's probability, else the prediction itself."""
    proba = getattr(model, "predict_proba", None)
    classes = list(getattr(model, "classes_", []))
    if callable(proba) and classes:
        if positive is None:
            index = len(classes) - 1
        else:
            matches = [i for i, c in enumerate(classes) if str(c) == positive]
            if not matches:
                raise InputError(f"is not one of the model's classes {classes}", field="positive class")
            index = matches[0]
        return (lambda x: np.asarray(proba(x), dtype=np.float64)[:, index]), f"P({classes[index]})"
    return (lambda x: np.asarray(model.predict(x), dtype=np.float64)), "prediction"


def _permutation(
    model: Any, x: Any, y: Any, *, scoring: str | None, repeats: int, seed: int
) -> tuple[float, dict[str, dict[str, float]]]:
    inspection = _require("sklearn.inspection")
    metrics = _require("sklearn.metrics")
    if scoring is not None and scoring not in metrics.get_scorer_names():
        raise InputError(
            "is not a scikit-learn scorer name (for example accuracy, roc_auc, r2)",
            field=f"scoring {scoring!r}",
        )
    try:
        scorer = metrics.check_scoring(model, scoring=scoring)
        baseline = float(scorer(model, x, y))
        result = inspection.permutation_importance(
            model, x, y, scoring=scoring, n_repeats=repeats, random_state=seed, n_jobs=1
        )
    except ValueError as exc:
        raise InputError(f"cannot be scored with this model ({exc})", field="data") from None
    out = {
        str(name): {
            "permutation_importance": float(result.importances_mean[i]),
            "permutation_importance_std": float(result.importances_std[i]),
        }
        for i, name in enumerate(x.columns)
    }
    return baseline, out


class _Codec:
    """Text columns as category numbers for SHAP, and back to the model's own values."""

    def __init__(self, frame: Any) -> None:
        pd = _require("pandas")
        self._pd = pd
        self.columns = list(frame.columns)
        self.levels = {
            c: pd.Index(sorted(set(self._text(frame[c]))))
            for c in self.columns
            if not pd.api.types.is_numeric_dtype(frame[c])
        }

    def _text(self, column: Any) -> list[str]:
        """A text column's values as strings, missing ones as a marker no real value has."""
        return [_MISSING if self._pd.isna(v) else str(v) for v in column]

    def encode(self, frame: Any) -> FloatArray:
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for j, c in enumerate(self.columns):
            if c in self.levels:
                out[:, j] = self.levels[c].get_indexer(self._text(frame[c]))
            else:
                out[:, j] = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def decode(self, codes: FloatArray) -> Any:
        data: dict[str, Any] = {}
        for j, c in enumerate(self.columns):
            if c in self.levels:
                values = np.asarray(self.levels[c], dtype=object)[codes[:, j].astype(np.int64)]
                values[values == _MISSING] = None
                data[c] = values
            else:
                data[c] = codes[:, j]
        return self._pd.DataFrame(data)


def _shap(
    model: Any,
    x: Any,
    predict: Callable[[Any], FloatArray],
    *,
    explain_rows: int,
    background_rows: int,
    row: int,
    seed: int,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Mean |SHAP| per column over a sample, and one row's SHAP values."""
    shap = _require("shap")
    codec = _Codec(x)
    rng = np.random.default_rng(seed)
    background = codec.encode(x.iloc[rng.choice(len(x), min(background_rows, len(x)), replace=False)])
    sample = rng.choice(len(x), min(explain_rows, len(x)), replace=False)
    wanted = codec.encode(x.iloc[np.r_[[row], sample]])
    explainer = shap.PermutationExplainer(
        lambda codes: predict(codec.decode(np.asarray(codes, dtype=np.float64))),
        shap.maskers.Independent(background, max_samples=len(background)),
        seed=seed,
    )
    # two permutations per row (forward and back): exact for additive models, cheap for others
    values = explainer(wanted, max_evals=4 * len(codec.columns) + 2, silent=True)
    phi = np.asarray(values.values, dtype=np.float64)
    base = np.asarray(values.base_values, dtype=np.float64).reshape(-1)
    global_ = {c: float(np.mean(np.abs(phi[1:, j]))) for j, c in enumerate(codec.columns)}
    local = {
        "row": row,
        "base_value": float(base[0]),
        "prediction": float(predict(x.iloc[[row]])[0]),
        "values": {c: float(phi[0, j]) for j, c in enumerate(codec.columns)},
        "feature_values": {c: str(x.iloc[row][c]) for c in codec.columns},
    }
    return global_, local


def explain_table(
    model: Any,
    x: Any,
    y: Any,
    *,
    row: int = 0,
    scoring: str | None = None,
    repeats: int = 5,
    use_shap: bool = True,
    explain_rows: int = 200,
    background_rows: int = 50,
    positive: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The explanation report: permutation importance per column and, where shap is installed,
    mean |SHAP| per column and the SHAP values of row ``row``.

    The report is a plain dict whose per-column numbers sit under ``by_feature``, so
    ``steward evidence add --kind explanation`` records it as it is.
    """
    x = _features(model, x)
    y = _align_labels(model, y)
    if not 0 <= row < len(x):
        raise InputError(f"is out of range (the data has {len(x)} rows)", field=f"row {row}")
    for name, count, top in (
        ("repeats", repeats, 100),
        ("explain_rows", explain_rows, MAX_SHAP_ROWS),
        ("background_rows", background_rows, MAX_SHAP_ROWS),
    ):
        if not 1 <= count <= top:
            raise InputError(f"must be between 1 and {top}", field=name)
    predict, explained = _predictor(model, positive)
    baseline, by_feature = _permutation(model, x, y, scoring=scoring, repeats=repeats, seed=seed)
    report: dict[str, Any] = {
        "model": type(model).__name__,
        "n": len(x),
        "features": len(x.columns),
        "scoring": scoring or "the model's own score()",
        "baseline_score": baseline,
        "repeats": repeats,
        "explained_output": explained,
    }
    reason = shap_status() if use_shap else "SHAP values were not asked for (--no-shap)"
    if reason is None:
        try:
            global_, local = _shap(
                model,
                x,
                predict,
                explain_rows=explain_rows,
                background_rows=background_rows,
                row=row,
                seed=seed,
            )
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"could not be explained with SHAP ({exc}); try --no-shap", field="model"
            ) from None
        for name, mean_abs in global_.items():
            by_feature[name]["mean_abs_shap"] = mean_abs
            by_feature[name]["local_shap"] = local["values"][name]
        report["shap"] = {
            "available": True,
            "explained_rows": min(explain_rows, len(x)),
            "background_rows": min(background_rows, len(x)),
        }
        report["local"] = {k: v for k, v in local.items() if k != "values"}
    else:
        report["shap"] = {"available": False, "reason": reason}
    for numbers in by_feature.values():
        for key, number in numbers.items():
            if not math.isfinite(number):
                raise InputError(f"gave a non-finite {key}; check the data for missing values", field="model")
    report["by_feature"] = dict(sorted(by_feature.items(), key=lambda kv: -kv[1]["permutation_importance"]))
    return report
