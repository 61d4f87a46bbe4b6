"""Fit the grounding and relevance curves on a set built from TruthfulQA.

    python training/calibrate_grounding.py

Grounding set (TruthfulQA, ``../shared/data/truthfulqa``; Apache-2.0): for each question with
at least three correct answers, the source is the best answer plus the other correct answers
except one; the held-back correct answer is a grounded response (a paraphrase the source
supports). Ungrounded responses: an incorrect answer, the held-back answer plus another
question's answer (an invented claim), the held-back answer plus an invented year, and two
edits of the held-back answer in the manner of FactCC's synthetic errors (Kryscinski et al.,
2020): its claim negated (a "not" added after its first auxiliary verb, or removed), and a
name in it swapped for a name from another question's answers.

Relevance set (same rows): the best answer is relevant to its question; the best answer of
another, randomly chosen question is not.

The curves are logistic regressions over the detector's own features
(:func:`steward.detectors.grounding.grounding_features`, ``relevance_features``), fitted on
rows whose index is even; the odd rows give the in-source figures printed here. The held-out
measurement on a different source (HaluEval-QA) is ``benchmarks/grounding_quality.py``.
Writes ``src/steward/models/artifacts/grounding-calibration.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from steward.detectors.grounding import (
    CALIBRATION_PATH,
    GroundingCalibration,
    GroundingDetector,
)

ROOT = Path(__file__).resolve().parents[1]
TRUTHFULQA = ROOT.parent / "shared" / "data" / "truthfulqa" / "TruthfulQA.csv"
#: A placeholder curve: the features do not depend on it.
_NEUTRAL = GroundingCalibration.from_weights((0.0,) * 4, 0.0, (0.0,) * 3, 0.0)
_AUXILIARY = re.compile(
    r"\b(is|are|was|were|can|could|will|would|do|does|did|has|have|should|must)\b(?!['’])", re.I
)
_DENIAL = re.compile(r"\b(not|no|never|nothing|none|cannot)\b|n['’]t\b", re.I)
#: A capitalised word (or run of them) that does not open the text: most likely a name.
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]+(?:\s[A-Z][a-z]+)*")


def negated(answer: str) -> str | None:
    """``answer`` with "not" added after its first auxiliary verb; ``None`` if it has none.

    Answers that already deny something are left out: removing a negation leaves only the
    source's own words, which no lexical cue can tell from the original.
    """
    found = _AUXILIARY.search(answer)
    if found is None or _DENIAL.search(answer):
        return None
    return f"{answer[: found.end()]} not{answer[found.end() :]}"


def name_swapped(answer: str, names: list[str], rng: random.Random) -> str | None:
    """``answer`` with one of its names replaced by a different name; ``None`` if it has none."""
    found = list(_NAME.finditer(answer))
    if not found:
        return None
    target = rng.choice(found)
    others = [n for n in names if n.lower() not in answer.lower()]
    return answer[: target.start()] + rng.choice(others) + answer[target.end() :]


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def load_rows(path: Path = TRUTHFULQA) -> list[dict[str, Any]]:
    """TruthfulQA rows with their answer lists split."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {
            "question": r["Question"],
            "best": r["Best Answer"],
            "correct": _split(r["Correct Answers"]),
            "incorrect": _split(r["Incorrect Answers"]),
        }
        for r in rows
    ]


def weakest_features(
    detector: GroundingDetector, response: str, source: str, query: str
) -> tuple[float, ...]:
    """Grounding features of the response's least-supported sentence (support first, then most cues)."""
    support = detector.sentence_support(response, source, query)
    return min((s.features for s in support), key=lambda f: (f[0], -sum(f[1:])))


Example = tuple[int, tuple[float, ...], int, str]


def grounding_set(
    detector: GroundingDetector, rows: list[dict[str, Any]], rng: random.Random
) -> list[Example]:
    """(row index, features, label 1 = grounded, kind of response) for the grounding curve.

    Per row: a held-back correct answer (grounded) and up to five ungrounded responses: an
    incorrect answer (a false claim on the same subject), the held-back answer followed by
    another question's best answer (an invented extra claim), the held-back answer with an
    invented year (a made-up number), the held-back answer negated (a flipped claim) and the
    held-back answer with a name swapped (an invented entity); the last two only where the
    answer has an auxiliary verb or a name.
    """
    names = sorted({m.group() for row in rows for a in row["correct"] for m in _NAME.finditer(a)})
    out = []
    for i, row in enumerate(rows):
        others = [c for c in row["correct"] if c != row["best"]]
        if len(others) < 2 or not row["incorrect"]:
            continue
        held = rng.choice(others)
        source = " ".join(f"{s.rstrip('.')}." for s in [row["best"], *(c for c in others if c != held)])
        foreign = rows[rng.randrange(len(rows))]["best"]
        responses = [
            (held, 1, "grounded"),
            (rng.choice(row["incorrect"]), 0, "incorrect answer"),
            (f"{held.rstrip('.')}. {foreign}", 0, "added claim"),
            (f"{held.rstrip('.')} since {rng.randrange(1900, 2024)}.", 0, "invented year"),
        ]
        edits = (("added not", negated(held)), ("swapped name", name_swapped(held, names, rng)))
        responses += [(edited, 0, kind) for kind, edited in edits if edited]
        for response, label, kind in responses:
            out.append((i, weakest_features(detector, response, source, row["question"]), label, kind))
    return out


def relevance_set(
    detector: GroundingDetector, rows: list[dict[str, Any]], rng: random.Random
) -> list[Example]:
    """(row index, features, label 1 = relevant, kind) for the relevance curve."""
    out = []
    for i, row in enumerate(rows):
        other = rows[rng.randrange(len(rows))]
        if other is row:
            continue
        for answer, label in ((row["best"], 1), (other["best"], 0)):
            evidence = detector.relevance_evidence(answer, row["question"])
            if evidence is not None:
                out.append((i, evidence[0], label, "own answer" if label else "other answer"))
    return out


def fit(data: list[Example]) -> tuple[list[float], float, dict[str, Any]]:
    """Logistic curve on even rows; AUROC on odd rows (overall and against each kind of negative) and on all."""
    x = np.array([f for _, f, _, _ in data])
    y = np.array([label for _, _, label, _ in data])
    kinds = np.array([kind for _, _, _, kind in data])
    even = np.array([i % 2 == 0 for i, _, _, _ in data])
    # Balanced: the grounding set has three to five ungrounded responses per grounded one.
    model = LogisticRegression(C=10.0, class_weight="balanced").fit(x[even], y[even])
    p = model.predict_proba(x)[:, 1]
    figures = {
        "auroc_odd_rows": round(float(roc_auc_score(y[~even], p[~even])), 4),
        "auroc_all_rows": round(float(roc_auc_score(y, p)), 4),
        "n": len(y),
        "n_grounded": int(y.sum()),
        "auroc_odd_rows_by_kind": {
            str(kind): round(float(roc_auc_score(y[mask], p[mask])), 4)
            for kind in sorted(set(kinds[y == 0]))
            for mask in [~even & ((y == 1) | (kinds == kind))]
        },
    }
    return [float(w) for w in model.coef_[0]], float(model.intercept_[0]), figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the grounding and relevance curves.")
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    args = parser.parse_args()
    rng = random.Random(13)
    rows = load_rows()
    detector = GroundingDetector(calibration=_NEUTRAL)
    g_weights, g_bias, g_figures = fit(grounding_set(detector, rows, rng))
    r_weights, r_bias, r_figures = fit(relevance_set(detector, rows, rng))
    report = {
        "grounding": {
            "weights": [round(w, 4) for w in g_weights],
            "bias": round(g_bias, 4),
            "features": [
                "max(word_support, similarity)",
                "unsupported_numbers/2",
                "unsupported_names/3",
                "adds an unsupported qualifier (negation, only, hedge)",
            ],
            "truthfulqa": g_figures,
        },
        "relevance": {
            "weights": [round(w, 4) for w in r_weights],
            "bias": round(r_bias, 4),
            "features": ["cosine(query, response)", "cosine(query, best sentence)", "query word share"],
            "truthfulqa": r_figures,
        },
        "data": "../shared/data/truthfulqa/TruthfulQA.csv (Apache-2.0)",
        "data_sha256": hashlib.sha256(TRUTHFULQA.read_bytes()).hexdigest(),
        "held_out_benchmark": "python benchmarks/grounding_quality.py (HaluEval-QA)",
        "command": "python training/calibrate_grounding.py",
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
