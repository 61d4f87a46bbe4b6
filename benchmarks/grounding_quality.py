"""Grounding and relevance quality on a source the curves never saw: HaluEval-QA.

    python benchmarks/grounding_quality.py [--limit N]

The curves are fitted on TruthfulQA (``training/calibrate_grounding.py``); this measures them
on HaluEval-QA (``../shared/data/halueval/qa_data_first1000.json``, MIT): each row has a
knowledge passage, a question, a right answer and a hallucinated answer.

* grounding: right answer (label grounded) vs hallucinated answer, source = knowledge,
  query = question. HaluEval's right answers are short spans and its hallucinated answers
  whole sentences, so length alone separates them; the table also reports the pairs where
  the right answer has at least four words, and a length-only scorer, to show how much of
  the figure length explains.
* relevance: hallucinated answer (a fluent, on-question sentence) and right answer vs the
  hallucinated answer of another row.

Also printed: the "share of content words absent from the source" baseline (DESIGN.md),
computed here on its own (the answer's content words found in the source or the question),
so it does not move when the detector changes.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from steward.detectors.grounding import GroundingDetector, _words

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "halueval" / "qa_data_first1000.json"


def content_word_share(answer: str, source: str, query: str) -> float:
    """The DESIGN.md baseline: share of the answer's content words found in the source or the query."""
    words = _words(answer).content
    if not words:
        return 1.0
    return len(words & (_words(source).content | _words(query).content)) / len(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()][
        : args.limit
    ]
    detector = GroundingDetector()
    rng = random.Random(7)
    g_scores, g_labels, baseline, lengths, long_pair = [], [], [], [], []
    r_scores, r_labels = [], []
    started = time.perf_counter()
    for row in rows:
        source, query = row["knowledge"], row["question"]
        for answer, label in ((row["right_answer"], 1), (row["hallucinated_answer"], 0)):
            support = detector.sentence_support(answer, source, query)
            g_scores.append(min(s.score for s in support) if support else 1.0)
            g_labels.append(label)
            baseline.append(content_word_share(answer, source, query))
            lengths.append(-len(answer.split()))
            long_pair.append(len(row["right_answer"].split()) >= 4)
        other = rows[rng.randrange(len(rows))]
        if other is not row:
            for answer, label in (
                (row["hallucinated_answer"], 1),
                (row["right_answer"], 1),
                (other["hallucinated_answer"], 0),
            ):
                r_scores.append(detector.relevance(answer, query)[0])
                r_labels.append(label)
    elapsed = time.perf_counter() - started
    y = np.array(g_labels)
    mask = np.array(long_pair)
    print(f"HaluEval-QA, {len(rows)} rows ({elapsed:.1f} s)")
    print(f"{'scorer':45s} {'AUROC all':>10s} {'AUROC right>=4 words':>22s} {'n(long)':>8s}")
    for name, scores in (
        ("steward grounding", g_scores),
        ("baseline: share of content words supported", baseline),
        ("length only (shorter = grounded)", lengths),
    ):
        s = np.array(scores)
        print(
            f"{name:45s} {roc_auc_score(y, s):10.3f} {roc_auc_score(y[mask], s[mask]):22.3f} {int(mask.sum()):8d}"
        )
    print(f"{'steward relevance (on-question vs other row)':45s} {roc_auc_score(r_labels, r_scores):10.3f}")


if __name__ == "__main__":
    main()
