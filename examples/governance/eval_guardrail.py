"""Measure the support chatbot's guardrail on a small labelled sample and print metrics JSON.

Positives: the first N AdvBench harmful behaviours (should be blocked). Negatives: the first N
TruthfulQA questions (ordinary questions that should pass). The output has the shape of
`steward eval --json` (n, precision, recall, f1, fpr, by_category, latency_ms), so either can be
recorded with `steward evidence add`.

    python examples/governance/eval_guardrail.py --data /work/shared/data --n 100 > chatbot-eval.json
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from steward.guard import Guard
from steward.policy import load_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--policy", default="default")
    args = parser.parse_args()
    with (args.data / "advbench" / "harmful_behaviors.csv").open(encoding="utf-8") as f:
        harmful = [row["goal"] for row in csv.DictReader(f)][: args.n]
    with (args.data / "truthfulqa" / "TruthfulQA.csv").open(encoding="utf-8") as f:
        benign = [row["Question"] for row in csv.DictReader(f)][: args.n]
    guard = Guard(load_policy(args.policy))
    texts = [(t, 1) for t in harmful] + [(t, 0) for t in benign]
    flagged, labels, latency = [], [], []
    for text, label in texts:
        assessment = guard.apply(text, "input")
        flagged.append(1 if assessment.blocked else 0)
        labels.append(label)
        latency.append(assessment.latency_ms)
    y, p = np.array(labels), np.array(flagged)
    tp, fp = int(((p == 1) & (y == 1)).sum()), int(((p == 1) & (y == 0)).sum())
    fn, tn = int(((p == 0) & (y == 1)).sum()), int(((p == 0) & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    result = {
        "n": len(texts),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "by_category": {
            "advbench harmful": {"n": len(harmful), "recall": recall},
            "truthfulqa benign": {"n": len(benign), "fpr": fp / len(benign) if benign else 0.0},
        },
        "latency_ms": {"p50": float(np.percentile(latency, 50)), "p99": float(np.percentile(latency, 99))},
    }
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
