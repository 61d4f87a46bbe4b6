"""Train the worked example's credit pre-screening model and write its evidence files.

UCI Adult stands in for credit data: "income >50K" plays "approve for a full credit
review". The model is a plain logistic regression fitted with Newton's method in numpy
(no scikit-learn needed), trained on ``adult.data`` and evaluated on ``adult.test``.
Sex and race are NOT model inputs (a design choice the system card records); they are
kept only to measure per-group results.

Writes, into --out:
  credit-model.json     the fitted weights (its SHA-256 goes into the evidence)
  credit-eval.json      metrics in the shape `steward eval --json` prints
  credit-predictions.csv  the holdout rows' sex, race, label, decision and score, which
                          `steward fairness` measures per group for the fairness evidence

    python examples/governance/train_credit_model.py --data /work/shared/data/adult --out /tmp/credit
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
CATEGORICAL = ["workclass", "education", "marital-status", "occupation", "relationship", "native-country"]
PROTECTED = ["sex", "race"]
THRESHOLD = 0.5


def read_adult(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("|"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(COLUMNS):
            continue
        row = dict(zip(COLUMNS, cells, strict=True))
        row["income"] = row["income"].rstrip(".")
        rows.append(row)
    return rows


class Encoder:
    """Standardised numbers plus one-hot categories learnt from the training rows."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        nums = np.array([[float(r[c]) for c in NUMERIC] for r in rows])
        self.mean, self.std = nums.mean(axis=0), nums.std(axis=0) + 1e-9
        self.levels = {c: sorted({r[c] for r in rows} - {"?"}) for c in CATEGORICAL}

    def __call__(self, rows: list[dict[str, str]]) -> np.ndarray:
        nums = (np.array([[float(r[c]) for c in NUMERIC] for r in rows]) - self.mean) / self.std
        parts = [np.ones((len(rows), 1)), nums]
        for c in CATEGORICAL:
            index = {v: i for i, v in enumerate(self.levels[c])}
            onehot = np.zeros((len(rows), len(index)))
            for i, r in enumerate(rows):
                if r[c] in index:
                    onehot[i, index[r[c]]] = 1.0
            parts.append(onehot)
        return np.hstack(parts)


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, steps: int = 25) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (deterministic, converges in a few steps)."""
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # no penalty on the intercept
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + penalty @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def confusion(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tp = float(((pred == 1) & (y == 1)).sum())
    fp = float(((pred == 1) & (y == 0)).sum())
    fn = float(((pred == 0) & (y == 1)).sum())
    tn = float(((pred == 0) & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "n": float(len(y)),
        "selection_rate": float(pred.mean()) if len(pred) else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "accuracy": (tp + tn) / len(y) if len(y) else 0.0,
    }


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    order = np.argsort(-score, kind="stable")
    hits = y[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision_at * hits).sum() / max(1.0, hits.sum()))


def recall_at_fpr(y: np.ndarray, score: np.ndarray, max_fpr: float) -> float:
    negatives = np.sort(score[y == 0])[::-1]
    allowed = int(np.floor(max_fpr * len(negatives)))
    cut = negatives[allowed] if allowed < len(negatives) else -np.inf
    return float((score[y == 1] > cut).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/adult"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    train, test = read_adult(args.data / "adult.data"), read_adult(args.data / "adult.test")
    encode = Encoder(train)
    x_train, x_test = encode(train), encode(test)
    y_train = np.array([r["income"] == ">50K" for r in train], dtype=float)
    y_test = np.array([r["income"] == ">50K" for r in test], dtype=float)
    weights = fit_logistic(x_train, y_train)
    score = 1.0 / (1.0 + np.exp(-(x_test @ weights)))
    pred = (score >= THRESHOLD).astype(float)

    timings = []
    for i in range(min(len(test), 500)):
        t0 = time.perf_counter()
        _ = 1.0 / (1.0 + np.exp(-(encode([test[i]]) @ weights)))
        timings.append((time.perf_counter() - t0) * 1000)
    overall = confusion(y_test, pred)
    by_group: dict[str, dict[str, dict[str, float]]] = {}
    for attribute in PROTECTED:
        by_group[attribute] = {}
        for value in sorted({r[attribute] for r in test}):
            mask = np.array([r[attribute] == value for r in test])
            by_group[attribute][value] = confusion(y_test[mask], pred[mask])
    evaluation = {
        "n": len(test),
        "precision": overall["precision"],
        "recall": overall["recall"],
        "f1": overall["f1"],
        "fpr": overall["fpr"],
        "accuracy": overall["accuracy"],
        "auprc": average_precision(y_test, score),
        "recall_at_1pct_fpr": recall_at_fpr(y_test, score, 0.01),
        "by_group": by_group,
        "by_category": {},
        "latency_ms": {"p50": float(np.percentile(timings, 50)), "p99": float(np.percentile(timings, 99))},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    model = {"features": NUMERIC + CATEGORICAL, "threshold": THRESHOLD, "weights": [round(float(w), 8) for w in weights]}
    (args.out / "credit-model.json").write_text(json.dumps(model, sort_keys=True) + "\n")
    (args.out / "credit-eval.json").write_text(json.dumps(evaluation, indent=2, sort_keys=True) + "\n")
    with (args.out / "credit-predictions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sex", "race", "label", "prediction", "score"])
        for row, y, decision, p in zip(test, y_test, pred, score, strict=True):
            writer.writerow([row["sex"], row["race"], int(y), int(decision), f"{p:.6f}"])
    print(
        f"trained on {len(train)} rows, tested on {len(test)}: precision {overall['precision']:.3f} "
        f"recall {overall['recall']:.3f} fpr {overall['fpr']:.3f} auprc {evaluation['auprc']:.3f}"
    )
    for attribute, groups in by_group.items():
        print(f"  {attribute}: " + ", ".join(f"{g} sel={m['selection_rate']:.3f} tpr={m['recall']:.3f} fpr={m['fpr']:.3f}" for g, m in groups.items()))


if __name__ == "__main__":
    main()
