"""Grounding and relevance quality on data the curves were not fitted on.

    python benchmarks/grounding_quality.py [--limit N] [--per-set N]

The curves are fitted by ``training/calibrate_grounding.py`` on TruthfulQA and the *dev*
files of DocNLI and WiCE. Measured here:

**1. HaluEval-QA** (``../shared/data/halueval/qa_data_first1000.json``, MIT; no curve sees
it): each row has a knowledge passage, a question, a right answer and a hallucinated answer.

* grounding: right answer (label grounded) vs hallucinated answer, source = knowledge,
  query = question. HaluEval's right answers are short spans and its hallucinated answers
  whole sentences, so length alone separates them; the table also reports the pairs where
  the right answer has at least four words, and a length-only scorer, to show how much of
  the figure length explains.
* relevance: hallucinated answer (a fluent, on-question sentence) and right answer vs the
  hallucinated answer of another row, judged against the question alone and against the
  question with the knowledge as source.
* the "share of content words absent from the source" baseline (DESIGN.md), computed here
  on its own, so it does not move when the detector changes.

**2. What the default policy blocks** (its ``contextual_grounding`` thresholds, read from the
pack), on the DocNLI and WiCE *test* files (premises that also occur in the dev files left
out) and on HaluEval-QA, built as in the calibration script: claims (an entailed or
``supported`` claim is faithful, a non-entailed one is not), three-sentence summaries of three
premises (faithful, and with one sentence swapped for a non-entailed hypothesis), WiCE claims
against the long page they cite. Each faithful response is checked with a generic task
instruction as the query ("Summarize the following article.", written for this project), with
a specific question where the data gives one (FEVER and WiCE: the page or article title;
HaluEval: its question), and with no query. "Off-topic" is another row's faithful response
checked against this row's source and query: relevance (or grounding) should block it.

The detector is called through ``detect()``, so the same script measures an older checkout:
``PYTHONPATH=<old>/src python benchmarks/grounding_quality.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.grounding import GroundingDetector, _words
from steward.policy.io import load_policy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from calibrate_grounding import (  # the training folder is not a package
    DOCNLI,
    GENERIC_QUERIES,
    WICE,
    Pair,
    docnli_pairs,
    docnli_premises,
    docnli_summaries,
    wice_pairs,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "halueval" / "qa_data_first1000.json"


def content_word_share(answer: str, source: str, query: str) -> float:
    """The DESIGN.md baseline: share of the answer's content words found in the source or the query."""
    words = _words(answer).content
    if not words:
        return 1.0
    return len(words & (_words(source).content | _words(query).content)) / len(words)


def scores(
    detector: GroundingDetector, answer: str, source: str | None, query: str | None
) -> dict[str, float]:
    """The GROUNDING and RELEVANCE scores ``detect()`` reports (a check without its input is absent)."""
    request = DetectionRequest(source=Source.OUTPUT, grounding_source=source, query=query)
    return {f.type: f.score for f in detector.detect(answer, request)}


def halueval(detector: GroundingDetector, rows: list[dict[str, str]]) -> None:
    """Part 1: AUROC of grounding and relevance on HaluEval-QA."""
    rng = random.Random(7)
    g_scores, g_labels, baseline, lengths, long_pair = [], [], [], [], []
    r_scores, r_source_scores, r_labels = [], [], []
    started = time.perf_counter()
    for row in rows:
        source, query = row["knowledge"], row["question"]
        for answer, label in ((row["right_answer"], 1), (row["hallucinated_answer"], 0)):
            g_scores.append(scores(detector, answer, source, query)["GROUNDING"])
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
                r_scores.append(scores(detector, answer, None, query)["RELEVANCE"])
                r_source_scores.append(scores(detector, answer, source, query)["RELEVANCE"])
                r_labels.append(label)
    elapsed = time.perf_counter() - started
    y = np.array(g_labels)
    mask = np.array(long_pair)
    print(f"1. HaluEval-QA, {len(rows)} rows ({elapsed:.1f} s)")
    print(f"{'scorer':52s} {'AUROC all':>10s} {'AUROC right>=4 words':>22s} {'n(long)':>8s}")
    for name, values in (
        ("steward grounding", g_scores),
        ("baseline: share of content words supported", baseline),
        ("length only (shorter = grounded)", lengths),
    ):
        s = np.array(values)
        print(
            f"{name:52s} {roc_auc_score(y, s):10.3f} {roc_auc_score(y[mask], s[mask]):22.3f} {int(mask.sum()):8d}"
        )
    print(
        f"{'steward relevance to the question (vs other row)':52s} {roc_auc_score(r_labels, r_scores):10.3f}"
    )
    print(
        f"{'steward relevance, question + knowledge as source':52s} {roc_auc_score(r_labels, r_source_scores):10.3f}"
    )


def test_sets(per_set: int, rows: list[dict[str, str]]) -> dict[str, list[Pair]]:
    """The held-out pairs of part 2, by set."""
    rng = random.Random(5)
    seen = docnli_premises([DOCNLI / "binary_mnli_dev.txt", DOCNLI / "binary_fever_nli_dev.txt"])
    sets: dict[str, list[Pair]] = {}
    for name, path in (
        ("mnli", DOCNLI / "binary_mnli_test.txt"),
        ("fever", DOCNLI / "binary_fever_nli_test.txt"),
    ):
        sets[f"{name} claims"] = docnli_pairs(path, rng, per_label=per_set, exclude=seen)
        sets[f"{name} summaries"] = docnli_summaries(path, rng, count=per_set // 3, exclude=seen)
    sets["wice claims"] = wice_pairs(WICE / "claim_test.jsonl")
    sets["halueval qa"] = [
        Pair(row["knowledge"], answer, grounded, "halueval", row["question"])
        for row in rows[:per_set]
        for answer, grounded in ((row["right_answer"], True), (row["hallucinated_answer"], False))
    ]
    return sets


def _share(flags: Sequence[bool]) -> str:
    return f"{np.mean(flags):.2f}" if flags else "  - "


def blocked_by_policy(detector: GroundingDetector, sets: dict[str, list[Pair]]) -> None:
    """Part 2: the share of faithful, unfaithful and off-topic responses the default policy blocks."""
    pack = load_policy("default").contextual_grounding
    assert pack is not None and pack.grounding is not None and pack.relevance is not None
    g_min, r_min = pack.grounding.threshold, pack.relevance.threshold

    def blocked(found: dict[str, float]) -> tuple[bool, bool]:
        return found.get("GROUNDING", 1.0) < g_min, found.get("RELEVANCE", 1.0) < r_min

    print(f"\n2. Blocked by the default policy (grounding < {g_min}, relevance < {r_min}), held-out files")
    header = (
        f"{'set':16s} {'n':>4s} | faithful blocked: {'generic':>7s} {'specific':>8s} {'none':>5s}"
        f" (ground. {'relev.':>6s}) | unfaithful caught {'n':>4s} | off-topic blocked: {'generic':>7s} {'specific':>8s}"
    )
    print(header)
    started = time.perf_counter()
    #: Grounding scores by set: faithful responses (no query) and unfaithful ones, for the sweep.
    sweep: dict[str, tuple[list[float], list[float]]] = {}
    for name, pairs in sets.items():
        faithful = [p for p in pairs if p.grounded]
        generic, specific, none, grounding_only, relevance_only = [], [], [], [], []
        off_generic, off_specific = [], []
        for k, pair in enumerate(faithful):
            query = GENERIC_QUERIES[k % len(GENERIC_QUERIES)]
            g, r = blocked(scores(detector, pair.response, pair.source, query))
            generic.append(g or r)
            grounding_only.append(g)
            relevance_only.append(r)
            alone = scores(detector, pair.response, pair.source, None)
            none.append(any(blocked(alone)))
            own = alone if pair.query is None else scores(detector, pair.response, pair.source, pair.query)
            sweep.setdefault(name, ([], []))[0].append(own["GROUNDING"])
            other = faithful[(k + 1) % len(faithful)].response
            off_generic.append(any(blocked(scores(detector, other, pair.source, query))))
            if pair.query is not None:
                specific.append(any(blocked(own)))
                off_specific.append(any(blocked(scores(detector, other, pair.source, pair.query))))
        unfaithful = []
        for p in pairs:
            if not p.grounded:
                found = scores(detector, p.response, p.source, p.query)
                unfaithful.append(any(blocked(found)))
                sweep.setdefault(name, ([], []))[1].append(found["GROUNDING"])
        print(
            f"{name:16s} {len(faithful):4d} | {'':17s} {_share(generic):>7s} {_share(specific):>8s} {_share(none):>5s}"
            f" ({_share(grounding_only):>7s} {_share(relevance_only):>6s}) | {'':17s} {_share(unfaithful)} {len(unfaithful):4d}"
            f" | {'':18s} {_share(off_generic):>7s} {_share(off_specific):>8s}"
        )
    print(
        f"({time.perf_counter() - started:.0f} s; unfaithful responses are checked with their specific query, if any)"
    )
    thresholds = (0.5, 0.7, 0.8, 0.85, 0.9)
    print("\n3. Grounding score (each response with its specific query, if any): AUROC, and")
    print("   faithful blocked / unfaithful caught by the grounding threshold")
    print(f"{'set':16s} {'AUROC':>6s} " + " ".join(f"{'< ' + str(t):>11s}" for t in thresholds))
    for name, (good, bad) in sweep.items():
        cells = [f"{np.mean(np.array(good) < t):.2f}/{np.mean(np.array(bad) < t):.2f}" for t in thresholds]
        auroc = roc_auc_score([1] * len(good) + [0] * len(bad), good + bad)
        print(f"{name:16s} {auroc:6.3f} " + " ".join(f"{c:>11s}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000, help="HaluEval-QA rows for part 1")
    parser.add_argument(
        "--per-set", type=int, default=300, help="claims per label (and a third as many summaries) for part 2"
    )
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    detector = GroundingDetector()
    halueval(detector, rows[: args.limit])
    blocked_by_policy(detector, test_sets(args.per_set, rows))


if __name__ == "__main__":
    main()
