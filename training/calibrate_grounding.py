"""Fit the grounding and relevance curves on sets built from TruthfulQA, DocNLI and WiCE.

    python training/calibrate_grounding.py [--pass-rate 0.9]

**Grounding** (is every claim of a response backed by its source?), one example per response,
described by its least-supported sentence:

* TruthfulQA (``../shared/data/truthfulqa``; Apache-2.0): for each question with at least
  three correct answers, the source is the best answer plus the other correct answers except
  one; the held-back correct answer is grounded (a paraphrase the source supports).
  Ungrounded: an incorrect answer, the held-back answer plus another question's answer (an
  invented claim), the held-back answer plus an invented year, and two edits in the manner of
  FactCC's synthetic errors (Kryscinski et al., 2020): its claim negated ("not" added after its
  first auxiliary verb), and a name swapped for a name from another question's answers.
* DocNLI's MNLI and FEVER pairs, dev files (``../shared/data/docnli``; BSD-3-Clause, texts
  OANC / CC BY-SA): the premise is the source, an entailed hypothesis a grounded claim, a
  non-entailed one an ungrounded claim. And *summaries*: three premises that each have an
  entailed and a non-entailed hypothesis make a source; their three entailed hypotheses are a
  faithful three-sentence summary, and the same summary with one hypothesis swapped for its
  premise's non-entailed one is unfaithful. A response is as grounded as its weakest sentence,
  so summaries teach the curve what a minimum over several faithful sentences looks like.
* WiCE, dev file (``../shared/data/wice``; ODC-BY, Wikipedia CC BY-SA): a Wikipedia sentence
  against the web page it cites (long evidence: the detector retrieves by sentence);
  ``supported`` is grounded, ``partially_supported`` and ``not_supported`` are not (the strict
  reading).

The curve is a logistic regression over the detector's features
(:func:`steward.detectors.grounding.grounding_features`), each source weighing the same and
each class the same within a source. Its bias is then raised so that ``--pass-rate`` (90%) of
the faithful responses it was fitted on score at least the default pack's grounding threshold
(0.7): a balanced fit puts a faithful paraphrase and an unsupported claim in different words
on either side of 0.5, and the shift states the trade-off once, in the curve, instead of
leaving every policy to find it (it is the same as fitting for traffic in which most answers
are grounded: the shift is the log of the prior odds, printed as ``prior_grounded``). The
weight of an unsupported number falls by as much per number (:func:`lenient`): leniency is
for wording, and a figure the source does not state keeps the balanced fit's verdict.

**Relevance to the query**: TruthfulQA's best answer is relevant to its question; another
question's best answer is not. **Relevance to the source** (for answers to task instructions
such as "Summarize the following article."): every response of the sets above, grounded or
not, is about its source; another row's response is not; and a bare name taken from the
source (a one-phrase answer) is about it, while a name from another row's source is not.

Every curve is fitted on rows whose index is even; the odd rows give the in-source figures
printed here. The held-out measurement (DocNLI and WiCE *test* files, premises seen in the dev
files excluded, and HaluEval-QA, which no curve sees) is ``benchmarks/grounding_quality.py``.
Writes ``src/steward/models/artifacts/grounding-calibration.json``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
from steward.policy.io import load_policy

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TRUTHFULQA = DATA / "truthfulqa" / "TruthfulQA.csv"
DOCNLI = DATA / "docnli"
WICE = DATA / "wice"
#: The files the curves are fitted on; the benchmark measures on the others.
DEV_FILES = (
    DOCNLI / "binary_mnli_dev.txt",
    DOCNLI / "binary_fever_nli_dev.txt",
    WICE / "claim_dev.jsonl",
    TRUTHFULQA,
)
#: Task instructions that name no subject, written for this project: what users send with a
#: document to summarise or a message to answer. The benchmark and tests use them as the
#: "generic query"; the detector never sees this list.
GENERIC_QUERIES = (
    "Summarize the following article.",
    "What does this say?",
    "Reply to the customer.",
    "Give me a short summary of the text.",
    "TL;DR",
    "Can you sum this up in a sentence?",
    "What are the key points?",
    "Please write a brief overview of the passage above.",
    "Explain the main idea of this document.",
    "Draft a reply to this email.",
    "Tell me more.",
    "What is this about?",
)
#: A placeholder curve: the features do not depend on it.
_NEUTRAL = GroundingCalibration.from_weights((0.0,) * 4, 0.0, (0.0,) * 3, 0.0)
_AUXILIARY = re.compile(
    r"\b(is|are|was|were|can|could|will|would|do|does|did|has|have|should|must)\b(?!['’])", re.I
)
_DENIAL = re.compile(r"\b(not|no|never|nothing|none|cannot)\b|n['’]t\b", re.I)
#: A capitalised word (or run of them) that does not open the text: most likely a name.
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]+(?:\s[A-Z][a-z]+)*")
#: Premises per built summary.
_SUMMARY_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class Pair:
    """A response with the source it should rest on."""

    source: str
    response: str
    grounded: bool
    #: Where it comes from and how it was built ("mnli claim", "fever summary", "wice claim").
    kind: str
    #: A question naming the pair's subject, where the data gives one (a page or article title).
    query: str | None = None


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


def _sentence(text: str) -> str:
    """``text`` ending in sentence punctuation, so texts joined with spaces split where they met."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", '"', "'", ")")) else f"{text}."


def docnli_rows(path: Path) -> list[tuple[bool, str, str]]:
    """``(entailed, premise, hypothesis)`` for each row of a DocNLI file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].strip() and parts[2].strip():
            out.append((parts[0] == "entailment", parts[1].strip(), parts[2].strip()))
    return out


def docnli_premises(paths: Iterable[Path]) -> frozenset[str]:
    """Every premise of these files (the test files share premises with the dev files)."""
    return frozenset(p for path in paths for _, p, _ in docnli_rows(path))


def _fever_query(premise: str) -> str | None:
    """FEVER premises open with their Wikipedia page's title ("Robert Zemeckis . Credited…")."""
    title, sep, _ = premise.partition(" . ")
    return f"What do you know about {title.strip()}?" if sep and 0 < len(title) <= 80 else None


def docnli_pairs(
    path: Path, rng: random.Random, *, per_label: int, exclude: frozenset[str] = frozenset()
) -> list[Pair]:
    """Up to ``per_label`` entailed and as many non-entailed claims, premises in ``exclude`` left out."""
    name = "fever" if "fever" in path.name else "mnli"
    rows = [r for r in docnli_rows(path) if r[1] not in exclude]
    rng.shuffle(rows)
    out = []
    for label in (True, False):
        for _, premise, hypothesis in [r for r in rows if r[0] is label][:per_label]:
            query = _fever_query(premise) if name == "fever" else None
            out.append(Pair(premise, hypothesis, label, f"{name} claim", query))
    return out


def docnli_summaries(
    path: Path, rng: random.Random, *, count: int, exclude: frozenset[str] = frozenset()
) -> list[Pair]:
    """``count`` faithful three-sentence summaries of three premises, each with an unfaithful twin.

    The twin swaps one summary sentence for a hypothesis its premise does not entail.
    """
    name = "fever" if "fever" in path.name else "mnli"
    by_premise: dict[str, dict[bool, str]] = {}
    for entailed, premise, hypothesis in docnli_rows(path):
        if premise not in exclude:
            by_premise.setdefault(premise, {}).setdefault(entailed, hypothesis)
    usable = sorted(p for p, h in by_premise.items() if len(h) == 2)
    rng.shuffle(usable)
    out = []
    for k in range(min(count, len(usable) // _SUMMARY_SENTENCES)):
        premises = usable[k * _SUMMARY_SENTENCES : (k + 1) * _SUMMARY_SENTENCES]
        source = " ".join(_sentence(p) for p in premises)
        faithful = [_sentence(by_premise[p][True]) for p in premises]
        swapped = rng.randrange(_SUMMARY_SENTENCES)
        unfaithful = [
            _sentence(by_premise[p][False]) if i == swapped else s
            for i, (p, s) in enumerate(zip(premises, faithful, strict=True))
        ]
        query = _fever_query(premises[0]) if name == "fever" else None
        out.append(Pair(source, " ".join(faithful), True, f"{name} summary", query))
        out.append(Pair(source, " ".join(unfaithful), False, f"{name} summary", query))
    return out


def wice_pairs(path: Path) -> list[Pair]:
    """WiCE claims against their cited page: ``supported`` is grounded, the rest is not."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        # One evidence sentence a line; the page's metadata (title, date) is evidence too.
        source = "\n".join(e.removeprefix("(meta data) ") for e in row["evidence"])
        query = f"What does the article say about {row['meta']['claim_title']}?"
        label = row["label"]
        kind = "wice claim" if label == "supported" else f"wice {label.replace('_', ' ')}"
        out.append(Pair(source, row["claim"], label == "supported", kind, query))
    return out


def truthfulqa_pairs(rows: list[dict[str, Any]], rng: random.Random) -> list[Pair]:
    """Per question: a held-back correct answer (grounded) and up to five ungrounded responses.

    An incorrect answer (a false claim on the same subject), the held-back answer followed by
    another question's best answer (an invented extra claim), the held-back answer with an
    invented year (a made-up number), the held-back answer negated (a flipped claim) and the
    held-back answer with a name swapped (an invented entity); the last two only where the
    answer has an auxiliary verb or a name.
    """
    names = sorted({m.group() for row in rows for a in row["correct"] for m in _NAME.finditer(a)})
    out = []
    for row in rows:
        others = [c for c in row["correct"] if c != row["best"]]
        if len(others) < 2 or not row["incorrect"]:
            continue
        held = rng.choice(others)
        source = " ".join(f"{s.rstrip('.')}." for s in [row["best"], *(c for c in others if c != held)])
        foreign = rows[rng.randrange(len(rows))]["best"]
        responses = [
            (held, True, "grounded"),
            (rng.choice(row["incorrect"]), False, "incorrect answer"),
            (f"{held.rstrip('.')}. {foreign}", False, "added claim"),
            (f"{held.rstrip('.')} since {rng.randrange(1900, 2024)}.", False, "invented year"),
        ]
        edits = (("added not", negated(held)), ("swapped name", name_swapped(held, names, rng)))
        responses += [(edited, False, kind) for kind, edited in edits if edited]
        for response, grounded, kind in responses:
            out.append(Pair(source, response, grounded, f"truthfulqa {kind}", row["question"]))
    return out


def weakest_features(
    detector: GroundingDetector, response: str, source: str, query: str | None
) -> tuple[float, ...]:
    """Grounding features of the response's least-supported sentence (support first, then most cues)."""
    support = detector.sentence_support(response, source, query)
    return min((s.features for s in support), key=lambda f: (f[0], -sum(f[1:])))


@dataclass(frozen=True, slots=True)
class Example:
    """One row of a curve's training set."""

    group: int
    features: tuple[float, ...]
    label: int
    kind: str
    #: The data set it comes from; each weighs the same in the fit.
    origin: str


def _origin(kind: str) -> str:
    return kind.split()[0]


def grounding_set(detector: GroundingDetector, groups: Sequence[Sequence[Pair]]) -> list[Example]:
    """Grounding examples: each response's weakest sentence, label 1 = grounded.

    ``groups`` keeps the responses built from one row together, so the even/odd split never
    puts a faithful response and its unfaithful twin on different sides.
    """
    out = []
    for g, pairs in enumerate(groups):
        for pair in pairs:
            features = weakest_features(detector, pair.response, pair.source, pair.query)
            out.append(Example(g, features, int(pair.grounded), pair.kind, _origin(pair.kind)))
    return out


def relevance_set(
    detector: GroundingDetector, rows: list[dict[str, Any]], rng: random.Random
) -> list[Example]:
    """Relevance to the query: a question's best answer (1) against another question's (0)."""
    out = []
    for i, row in enumerate(rows):
        other = rows[rng.randrange(len(rows))]
        if other is row:
            continue
        for answer, label in ((row["best"], 1), (other["best"], 0)):
            evidence = detector.relevance_evidence(answer, row["question"])
            if evidence is not None:
                kind = "own answer" if label else "other answer"
                out.append(Example(i, evidence[0], label, kind, "truthfulqa"))
    return out


def named_span(source: str, rng: random.Random) -> str | None:
    """A name the source mentions (a run of capitalised words), as a one-phrase answer ("Arthur's Magazine")."""
    found = [m.group() for m in _NAME.finditer(source)]
    return rng.choice(found) if found else None


def source_relevance_set(
    detector: GroundingDetector, groups: Sequence[Sequence[Pair]], rng: random.Random
) -> list[Example]:
    """Relevance to the source: a response about its source (1), grounded or not, against another row's (0).

    Also, where the sources name something, a bare name from the source (the short answer a
    question about it gets: "Gustave Eiffel") against a name from another row's source: such an
    answer is far in embedding space from every sentence, and on topic by its words alone.
    """
    out = []
    for g, pairs in enumerate(groups):
        pair = rng.choice(pairs)
        other = rng.choice(groups[rng.randrange(len(groups))])
        if other.source == pair.source:
            continue
        candidates = [(pair.response, 1, "own response"), (other.response, 0, "other row's response")]
        own, foreign = named_span(pair.source, rng), named_span(other.source, rng)
        if own and foreign and foreign.lower() not in pair.source.lower():
            candidates += [(own, 1, "own name"), (foreign, 0, "other row's name")]
        for response, label, kind in candidates:
            evidence = detector.source_relevance_evidence(response, pair.source)
            if evidence is not None:
                out.append(Example(g, evidence[0], label, kind, _origin(pair.kind)))
    return out


def _weights(data: Sequence[Example]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Sample weights: every origin the same total, and each class half of it within an origin."""
    counts: dict[tuple[str, int], int] = {}
    for e in data:
        counts[(e.origin, e.label)] = counts.get((e.origin, e.label), 0) + 1
    origins = {e.origin for e in data}
    return np.array([len(data) / (2 * len(origins) * counts[(e.origin, e.label)]) for e in data])


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


#: The grounding feature of a number the source lacks, and its value for one such number
#: (:func:`steward.detectors.grounding.grounding_features`).
_NUMBER_FEATURE, _ONE_NUMBER = 1, 0.5


def lenient(
    x: np.ndarray[Any, Any],
    weights: np.ndarray[Any, Any],
    coef: list[float],
    bias: float,
    *,
    rate: float,
    threshold: float,
) -> tuple[list[float], float, float]:
    """The curve moved so that a weighted share ``rate`` of ``x`` (faithful responses) reaches ``threshold``.

    The bias rises by a shift found by bisection, and the number weight falls by as much per
    unsupported number: leniency is for wording (a paraphrase shares few words with its source),
    not for a figure the source does not state, which keeps the score of the balanced fit.
    Returns ``(coef, bias, shift)``.
    """

    def moved(shift: float) -> tuple[list[float], float]:
        new = list(coef)
        new[_NUMBER_FEATURE] -= shift / _ONE_NUMBER
        return new, bias + shift

    def share(shift: float) -> float:
        c, b = moved(shift)
        z = x @ np.array(c) + b
        return float(weights[z >= _logit(threshold)].sum() / weights.sum())

    low, high = 0.0, 10.0
    if share(low) >= rate:
        return coef, bias, 0.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (low, mid) if share(mid) >= rate else (mid, high)
    c, b = moved(high)
    return c, b, high


def fit(
    data: list[Example], *, pass_rate: float | None = None, threshold: float = 0.5
) -> tuple[list[float], float, dict[str, Any]]:
    """Logistic curve on even groups, origins and classes balanced; figures on odd groups.

    With ``pass_rate``, the curve is then made :func:`lenient` so that this weighted share of
    the positive (grounded) even-group examples scores at least ``threshold``.
    """
    x = np.array([e.features for e in data])
    y = np.array([e.label for e in data])
    kinds = np.array([e.kind for e in data])
    origins = np.array([e.origin for e in data])
    even = np.array([e.group % 2 == 0 for e in data])
    weights = _weights(data)
    model = LogisticRegression(C=10.0).fit(x[even], y[even], sample_weight=weights[even])
    coef = [float(w) for w in model.coef_[0]]
    bias = float(model.intercept_[0])
    shift = 0.0
    if pass_rate is not None:
        positive = even & (y == 1)
        coef, bias, shift = lenient(
            x[positive], weights[positive], coef, bias, rate=pass_rate, threshold=threshold
        )
    p = 1.0 / (1.0 + np.exp(-(x @ np.array(coef) + bias)))
    odd = ~even
    figures: dict[str, Any] = {
        "auroc_odd_rows": round(float(roc_auc_score(y[odd], p[odd], sample_weight=weights[odd])), 4),
        "n": len(y),
        "n_positive": int(y.sum()),
        f"positive_passing_{threshold}_odd_rows": round(float(np.mean(p[odd & (y == 1)] >= threshold)), 4),
        "by_origin_odd_rows": {},
    }
    if pass_rate is not None:
        figures["bias_shift"] = round(shift, 4)
        figures["prior_grounded"] = round(1.0 / (1.0 + math.exp(-shift)), 4)
    for origin in sorted(set(origins)):
        mask = odd & (origins == origin)
        if len(set(y[mask])) < 2:
            continue
        figures["by_origin_odd_rows"][str(origin)] = {
            "auroc": round(float(roc_auc_score(y[mask], p[mask])), 4),
            f"positive_passing_{threshold}": round(float(np.mean(p[mask & (y == 1)] >= threshold)), 4),
            f"negative_caught_under_{threshold}": {
                str(kind): round(float(np.mean(p[mask & (y == 0) & (kinds == kind)] < threshold)), 4)
                for kind in sorted(set(kinds[mask & (y == 0)]))
            },
        }
    return coef, bias, figures


def dev_groups(
    rows: list[dict[str, Any]], rng: random.Random, *, per_label: int, summaries: int
) -> tuple[list[list[Pair]], random.Random]:
    """The grounding and source-relevance rows of the dev files, grouped by the row they come from.

    Also returns a generator in the state ``rng`` had after the TruthfulQA rows, for the
    query-relevance set: drawn from it, that set is the one the curve was first fitted on.
    """
    groups: list[list[Pair]] = []
    truthful: dict[str, list[Pair]] = {}
    for pair in truthfulqa_pairs(rows, rng):
        truthful.setdefault(pair.source, []).append(pair)
    groups += truthful.values()
    after_truthfulqa = random.Random()
    after_truthfulqa.setstate(rng.getstate())
    for path in (DOCNLI / "binary_mnli_dev.txt", DOCNLI / "binary_fever_nli_dev.txt"):
        groups += [[p] for p in docnli_pairs(path, rng, per_label=per_label)]
        built = docnli_summaries(path, rng, count=summaries)
        groups += [built[k : k + 2] for k in range(0, len(built), 2)]
    groups += [[p] for p in wice_pairs(WICE / "claim_dev.jsonl")]
    return groups, after_truthfulqa


def _sha256(paths: Iterable[Path]) -> dict[str, str]:
    return {str(p.relative_to(DATA)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the grounding and relevance curves.")
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    parser.add_argument(
        "--pass-rate",
        type=float,
        default=0.9,
        help="share of the faithful responses fitted on that must reach the default pack's grounding threshold",
    )
    parser.add_argument("--per-label", type=int, default=600, help="DocNLI claims per label and file")
    parser.add_argument("--summaries", type=int, default=200, help="DocNLI summaries per file")
    args = parser.parse_args()
    pack = load_policy("default").contextual_grounding
    assert pack is not None and pack.grounding is not None and pack.relevance is not None
    rng = random.Random(13)
    detector = GroundingDetector(calibration=_NEUTRAL)
    rows = load_rows()
    groups, query_rng = dev_groups(rows, rng, per_label=args.per_label, summaries=args.summaries)
    g_weights, g_bias, g_figures = fit(
        grounding_set(detector, groups), pass_rate=args.pass_rate, threshold=pack.grounding.threshold
    )
    r_weights, r_bias, r_figures = fit(
        relevance_set(detector, rows, query_rng), threshold=pack.relevance.threshold
    )
    s_weights, s_bias, s_figures = fit(
        source_relevance_set(detector, groups, rng), threshold=pack.relevance.threshold
    )
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
            "pass_rate": args.pass_rate,
            "fit": g_figures,
        },
        "relevance": {
            "weights": [round(w, 4) for w in r_weights],
            "bias": round(r_bias, 4),
            "features": ["cosine(query, response)", "cosine(query, best sentence)", "query word share"],
            "fit": r_figures,
        },
        "source_relevance": {
            "weights": [round(w, 4) for w in s_weights],
            "bias": round(s_bias, 4),
            "features": [
                "best cosine(response, source sentence)",
                "mean over response sentences of the best cosine to a source sentence",
                "share of the response's content words found in the source",
            ],
            "fit": s_figures,
        },
        "data": {
            "truthfulqa/TruthfulQA.csv": "Apache-2.0",
            "docnli/binary_{mnli,fever_nli}_dev.txt": "BSD-3-Clause (texts: OANC, CC BY-SA 3.0)",
            "wice/claim_dev.jsonl": "ODC-BY 1.0 (Wikipedia CC BY-SA, Common Crawl pages)",
        },
        "data_sha256": _sha256(DEV_FILES),
        "held_out_benchmark": "python benchmarks/grounding_quality.py (DocNLI and WiCE test files, HaluEval-QA)",
        "command": "python training/calibrate_grounding.py"
        + (f" --pass-rate {args.pass_rate}" if args.pass_rate != 0.9 else ""),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
