"""Fit the denied-topics score curve on the written calibration set, and measure it.

    python training/calibrate_topics.py            # fit on split=fit, report on split=holdout

The set (``data/topics_calibration/topics.yaml``) has 20 topics, none from the packaged
policies, each with a definition, three examples, ten on-topic paraphrases and ten near-miss
negatives. For every prompt the detector's own feature code gives three similarities (best
example, examples' centroid, definition) at the best-matching piece of the prompt, every
piece embedded by the sentence embedder; a logistic regression on the ``fit`` topics turns
them into a probability. Quality is reported three ways: leave-one-topic-out on the fit
topics, the held-out topics (never seen by the fit), and held-out topics against the other
topics' prompts (far negatives) — and the held-out figures again for the shipped cascade
(screen, then the sentence embedder on the likeliest pieces) and for the screen alone. The
curve and the figures are written to ``src/steward/models/artifacts/topics-calibration.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from steward.detectors.topics import (
    CALIBRATION_PATH,
    FINDING_THRESHOLD,
    MAX_CONFIRMED,
    SCREEN_THRESHOLD,
    TopicCalibration,
    TopicDetector,
)
from steward.models.embedder import default_embedder
from steward.models.piece_embedder import PieceEmbedder
from steward.policy.schema import DeniedTopic

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "topics_calibration" / "topics.yaml"
LEXICAL = ROOT / "data" / "topics_calibration" / "lexical_negatives.yaml"


def load_topics() -> list[dict[str, Any]]:
    """The calibration topics (name, split, definition, examples, positives, negatives).

    The near misses that share names and words with the examples are appended to each
    topic's negatives.
    """
    topics: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))["topics"]
    lexical: dict[str, list[str]] = yaml.safe_load(LEXICAL.read_text(encoding="utf-8"))
    for topic in topics:
        topic["negatives"] = topic["negatives"] + lexical.get(topic["name"], [])
    return topics


#: How pieces are embedded: ``embedder`` (every piece by MiniLM-L6: what the curve is fitted
#: on), ``cascade`` (the shipped detector: screen, then MiniLM-L6 on the likeliest pieces),
#: ``screen`` (the content model's pooled states alone).
MODES = {
    "embedder": {"screened": False},
    "cascade": {"screened": True},
    "screen": {"screened": True, "max_confirmed": 0},
}


def features(
    topic: dict[str, Any], prompts: list[str], calibration: TopicCalibration, *, mode: str = "embedder"
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """(best example, centroid, definition) cosines per prompt, at the piece the detector would pick."""
    denied = DeniedTopic(name=topic["name"], definition=topic["definition"], examples=topic["examples"])
    detector = TopicDetector([denied], calibration=calibration, **MODES[mode])  # type: ignore[arg-type]
    rows = []
    for prompt in prompts:
        (best,) = detector.score_topics(prompt)
        rows.append((best.example_similarity, best.centroid_similarity, best.definition_similarity))
    return np.array(rows, dtype=np.float64)


def dataset(
    topics: list[dict[str, Any]], calibration: TopicCalibration, *, mode: str = "embedder"
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Features, labels and topic index for every positive and near-miss negative."""
    xs, ys, groups = [], [], []
    for i, topic in enumerate(topics):
        prompts = topic["positives"] + topic["negatives"]
        xs.append(features(topic, prompts, calibration, mode=mode))
        ys += [1] * len(topic["positives"]) + [0] * len(topic["negatives"])
        groups += [i] * len(prompts)
    return np.vstack(xs), np.array(ys), np.array(groups)


#: Weight of a near-miss negative against an on-topic prompt. The set is balanced, real
#: traffic is not: weighting negatives twice fits the curve for a one-in-three prior, which
#: trades recall (0.87 -> 0.73 on held-out topics) for half the false positives on near
#: misses (0.12 -> 0.07) and keeps plain near misses ("write an email to my bank about
#: mortgage rates" against Impersonation) under the 0.5 finding threshold.
NEGATIVE_WEIGHT = 1.0


def fit(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> TopicCalibration:
    """A logistic curve over the three similarities."""
    model = LogisticRegression(C=10.0, class_weight={0: NEGATIVE_WEIGHT, 1: 1.0}).fit(x, y)
    weights = [float(w) for w in model.coef_[0]]
    return TopicCalibration(*weights, bias=float(model.intercept_[0]))


def metrics(
    calibration: TopicCalibration, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]
) -> dict[str, float]:
    """AUROC, recall and false-positive rate at the finding threshold, Brier score."""
    p = calibration.scores(x[:, 0], x[:, 1], x[:, 2])
    flagged = p >= FINDING_THRESHOLD
    return {
        "auroc": round(float(roc_auc_score(y, p)), 4),
        "recall_at_0.5": round(float(flagged[y == 1].mean()), 4),
        "false_positive_rate_at_0.5": round(float(flagged[y == 0].mean()), 4),
        "brier": round(float(np.mean((p - y) ** 2)), 4),
        "n": len(y),
    }


def far_negative_fpr(
    topics: list[dict[str, Any]], calibration: TopicCalibration, *, mode: str = "embedder"
) -> float:
    """Share of other topics' on-topic prompts that each held-out topic flags."""
    flagged = total = 0
    for topic in topics:
        others = [p for t in topics if t is not topic for p in t["positives"]]
        x = features(topic, others, calibration, mode=mode)
        flagged += int((calibration.scores(x[:, 0], x[:, 1], x[:, 2]) >= FINDING_THRESHOLD).sum())
        total += len(others)
    return round(flagged / total, 4)


#: Ordinary documents read to measure how a text's best-piece score drifts with its length.
LENGTH_DOCUMENTS = 800
#: The upper quantile of ordinary documents' best-piece logits whose drift is measured.
LENGTH_QUANTILE = 0.95


def pieces_weight(
    calibration: TopicCalibration, topics: list[dict[str, Any]]
) -> tuple[float, list[dict[str, float]]]:
    """The ``ln(pieces)`` weight that keeps ordinary long documents as unlikely to match as short texts.

    A text's topic score is its best piece's; over many sentences of an ordinary document the
    best lies higher the more sentences there are. On DocNLI's multi-genre documents (a
    training source, never the precision benchmark's), this measures the upper quantile of the
    best-piece logit per topic against ``ln(pieces)``, in bands of piece counts, and returns
    minus its slope (0 when it does not rise), with the bands for the record.
    """
    import random
    import sys

    sys.path.insert(0, str(ROOT / "training"))
    from data import docnli_documents

    from steward.models.sentences import embedding_pieces

    docs = docnli_documents(random.Random(3))
    random.Random(4).shuffle(docs)
    docs = docs[:LENGTH_DOCUMENTS]
    denied = [DeniedTopic(name=t["name"], definition=t["definition"], examples=t["examples"]) for t in topics]
    detector = TopicDetector(denied, calibration=calibration)
    rows: list[tuple[int, float]] = []
    for text in docs:
        n = max(1, len(embedding_pieces(text)))
        for result in detector.score_topics(text):
            p = min(max(result.score, 1e-9), 1 - 1e-9)
            rows.append((n, math.log(p / (1 - p))))
    pieces = np.array([n for n, _ in rows])
    logit = np.array([z for _, z in rows])
    bands = []
    for low, high in ((1, 2), (2, 4), (4, 8), (8, 16), (16, 32), (32, 100_000)):
        sel = (pieces >= low) & (pieces < high)
        if sel.sum() >= 40:
            bands.append(
                {
                    "pieces_from": low,
                    "pieces_to": high,
                    "mean_ln_pieces": float(np.log(pieces[sel]).mean()),
                    "quantile_logit": float(np.quantile(logit[sel], LENGTH_QUANTILE)),
                    "n": int(sel.sum()),
                }
            )
    if len(bands) < 2:
        return 0.0, bands
    slope = float(
        np.polyfit([b["mean_ln_pieces"] for b in bands], [b["quantile_logit"] for b in bands], 1)[0]
    )
    return -max(slope, 0.0), bands


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the denied-topics score curve.")
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    args = parser.parse_args()
    topics = load_topics()
    fit_topics = [t for t in topics if t["split"] == "fit"]
    holdout = [t for t in topics if t["split"] == "holdout"]
    # The piece of a prompt the detector reports depends on the curve: start from equal
    # weights, fit, then recompute the features with the fitted curve and fit again.
    calibration = TopicCalibration(1.0, 1.0, 1.0, 0.0)
    for _ in range(2):
        x, y, groups = dataset(fit_topics, calibration)
        calibration = fit(x, y)
    weight, bands = pieces_weight(calibration, fit_topics)
    calibration = TopicCalibration(
        calibration.example_weight,
        calibration.centroid_weight,
        calibration.definition_weight,
        calibration.bias,
        weight,
    )
    cv_scores, cv_labels = [], []
    for g in np.unique(groups):
        held = fit(x[groups != g], y[groups != g])
        cv_scores.append(held.scores(*(x[groups == g, k] for k in range(3))))
        cv_labels.append(y[groups == g])
    p_cv, y_cv = np.concatenate(cv_scores), np.concatenate(cv_labels)
    x_h, y_h, _ = dataset(holdout, calibration)
    shipped = {
        mode: {
            "holdout": metrics(calibration, dataset(holdout, calibration, mode=mode)[0], y_h),
            "holdout_far_negative_fpr_at_0.5": far_negative_fpr(holdout, calibration, mode=mode),
        }
        for mode in ("cascade", "screen")
    }
    report = {
        "example_weight": round(calibration.example_weight, 4),
        "centroid_weight": round(calibration.centroid_weight, 4),
        "definition_weight": round(calibration.definition_weight, 4),
        "bias": round(calibration.bias, 4),
        "pieces_weight": round(calibration.pieces_weight, 4),
        "pieces_weight_bands": bands,
        "pieces_weight_data": f"{LENGTH_DOCUMENTS} DocNLI documents (training/data.py docnli_documents), "
        f"quantile {LENGTH_QUANTILE} of the best-piece logit per fit topic against ln(pieces)",
        "finding_threshold": FINDING_THRESHOLD,
        "negative_weight": NEGATIVE_WEIGHT,
        "embedder": default_embedder().name,
        "data": [str(DATA.relative_to(ROOT)), str(LEXICAL.relative_to(ROOT))],
        "data_sha256": hashlib.sha256(DATA.read_bytes() + LEXICAL.read_bytes()).hexdigest(),
        "fit_topics": [t["name"] for t in fit_topics],
        "holdout_topics": [t["name"] for t in holdout],
        "leave_one_topic_out": {
            "auroc": round(float(roc_auc_score(y_cv, p_cv)), 4),
            "recall_at_0.5": round(float((p_cv[y_cv == 1] >= FINDING_THRESHOLD).mean()), 4),
            "false_positive_rate_at_0.5": round(float((p_cv[y_cv == 0] >= FINDING_THRESHOLD).mean()), 4),
        },
        "fit": metrics(calibration, x, y),
        "holdout": metrics(calibration, x_h, y_h),
        "holdout_far_negative_fpr_at_0.5": far_negative_fpr(holdout, calibration),
        "screen": PieceEmbedder.load().name,
        "screen_threshold": SCREEN_THRESHOLD,
        "max_confirmed": MAX_CONFIRMED,
        "modes": {
            "embedder": "every piece embedded by the sentence embedder (what the curve is fitted on)",
            "cascade": "the shipped detector: the screen, then the sentence embedder on the likeliest pieces",
            "screen": "the screen alone",
        },
        **shipped,
        "command": "python training/calibrate_topics.py",
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
