"""Quality benchmark: Steward's guard against its peers on held-out data, in one table.

    python benchmarks/quality.py [--policy default] [--scale 1.0] [--json out.json]

What runs, on the same rows in the same run:

- **steward**: ``Guard(policy)`` through the ``steward eval`` harness, counting a row as
  caught when the guard *blocks* it (PII masking is not a refusal and is measured by the
  PII benchmark). Whatever detectors are registered in ``steward.detectors`` take part,
  so learned detectors show up here as soon as they land.
- **profanity-check** (alt-profanity-check, TF-IDF + linear SVM, a common offensive-text
  filter) on the content slices.
- **tfidf-lr**: a TF-IDF (word 1-2 grams + character 2-4 grams) + logistic-regression
  prompt-attack baseline trained here, in seconds, on the TRAIN sources only (the
  challenge set's train split and BIPIA's train split), on the attack slices.

Held-out rule (by source), matching what ``training/data.py`` holds out: the challenge
set's test split, BIPIA's code test contexts and its e-mail and table contexts, Tensor Trust,
the jailbreak prompts of a community whose prompts the others do not vary (flowgpt),
Do-Not-Answer, Alpaca and HaluEval-QA are never trained or tuned on. Davidson, AdvBench
(behaviours and strings), the forbidden-question set and GPTFuzz (its train split trains
the model; its evaluate split is the same source) are training sources of the learned
detectors, so their rows are marked ``in-dist`` (in distribution), not held out.

Sampling is deterministic (evenly spaced per label); ``--scale`` multiplies every sample
size. At scale 1 the run checks about 3,570 texts (the challenge test split in full).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.evaluate import EvalRow, RowResult, load_dataset, run_guard, summarise
from steward.evaluate.convert import convert
from steward.evaluate.convert._io import stratified_sample
from steward.evaluate.dataset import parse_row
from steward.guard import Guard
from steward.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
CHALLENGE = ROOT / "data" / "challenge"
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))

#: Shared-data parts: name -> (converter, rows at scale 1, which rows to keep).
SHARED_PARTS: dict[str, tuple[str, int, Callable[[dict[str, Any]], bool]]] = {
    "davidson": ("davidson", 400, lambda r: True),
    "advbench": ("advbench", 120, lambda r: r["kind"] == "harmful_request"),
    "forbidden_questions": ("forbidden_questions", 120, lambda r: True),
    "do_not_answer": ("do_not_answer", 120, lambda r: True),
    "alpaca": ("alpaca", 400, lambda r: True),
    "gptfuzz": ("gptfuzz", 150, lambda r: r["split"] == "test"),
    "jailbreak_prompts": ("jailbreak_prompts", 120, lambda r: r["unseen"]),
    "bipia_code": ("bipia", 100, lambda r: r["split"] == "test" and r["carrier"] == "code"),
    "bipia_text": ("bipia", 120, lambda r: r["split"] == "test" and r["carrier"] != "code"),
    "tensor_trust": ("tensor_trust", 300, lambda r: True),
    "halueval_qa": ("halueval_qa", 300, lambda r: True),
}
CHALLENGE_PARTS = (
    "harmful",
    "benign_alarming",
    "speech_context",
    "identity",
    "prompt_attacks",
    "injections",
    "benign_triggers",
)


@dataclass(frozen=True)
class Slice:
    """One row of the table: a union of parts, which peer applies, whether it is held out."""

    name: str
    parts: tuple[str, ...]
    kind: str  # content | attack | grounding
    held_out: bool


SLICES = (
    Slice("davidson tweets", ("davidson",), "content", False),
    Slice("harmful requests vs alpaca", ("do_not_answer", "alpaca"), "content", True),
    Slice("advbench behaviours (all 1)", ("advbench",), "content", False),
    Slice("forbidden questions (all 1)", ("forbidden_questions",), "content", False),
    Slice("gptfuzz responses (output)", ("gptfuzz",), "content", False),
    Slice(
        "challenge content (test)",
        ("ch:harmful", "ch:benign_alarming", "ch:speech_context", "ch:identity"),
        "content",
        True,
    ),
    Slice("  benign, alarming words", ("ch:benign_alarming",), "content", True),
    Slice("  counter-speech/quoting", ("ch:speech_context",), "content", True),
    Slice("  identity templates", ("ch:identity",), "content", True),
    Slice("jailbreaks, unseen community vs alpaca", ("jailbreak_prompts", "alpaca"), "attack", True),
    Slice("bipia code (test)", ("bipia_code",), "attack", True),
    Slice("bipia email/table (test)", ("bipia_text",), "attack", True),
    Slice("tensor trust", ("tensor_trust",), "attack", True),
    Slice(
        "challenge attacks (test)",
        ("ch:prompt_attacks", "ch:injections", "ch:benign_triggers"),
        "attack",
        True,
    ),
    Slice("  benign trigger words", ("ch:benign_triggers",), "attack", True),
    Slice("halueval qa (grounding)", ("halueval_qa",), "grounding", True),
)


def _rows(dicts: Sequence[dict[str, Any]], name: str) -> list[EvalRow]:
    return [parse_row(d, f"{name} row {i}") for i, d in enumerate(dicts)]


def load_parts(scale: float) -> dict[str, list[EvalRow]]:
    """Every part, sampled deterministically."""
    parts: dict[str, list[EvalRow]] = {}
    for name, (converter, size, keep) in SHARED_PARTS.items():
        rows = [r for r in convert(converter, DATA) if keep(r)]
        parts[name] = _rows(stratified_sample(rows, max(1, round(size * scale))), name)
    for name in CHALLENGE_PARTS:
        parts[f"ch:{name}"] = load_dataset(CHALLENGE / f"{name}.jsonl", split="test")
    return parts


def is_attack(row: EvalRow) -> int:
    """The prompt-attack target: an attack row (benign and harmful-content rows are 0)."""
    return int(row.label == 1 and row.category == "PROMPT_ATTACK")


def attack_training_rows() -> list[EvalRow]:
    """TRAIN sources only: the challenge set's train split and BIPIA's train split."""
    rows = [r for p in sorted(CHALLENGE.glob("*.jsonl")) for r in load_dataset(p, split="train")]
    bipia = [r for r in convert("bipia", DATA) if r.get("split") == "train"]
    return rows + _rows(bipia, "bipia-train")


class TfidfAttackBaseline:
    """TF-IDF (word 1-2 grams + char 2-4 grams) + logistic regression, trained here."""

    name = "tfidf-lr"

    def __init__(self, train: Sequence[EvalRow]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=50_000),
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2, max_features=100_000
            ),
        )
        self.model = make_pipeline(
            features, LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
        )
        self.model.fit([r.text for r in train], [is_attack(r) for r in train])

    def score(self, text: str) -> tuple[bool, float]:
        p = float(self.model.predict_proba([text])[0, 1])
        return p >= 0.5, p


class ProfanityCheck:
    """alt-profanity-check: its own decision (``predict``) and probability."""

    name = "profanity-check"

    def __init__(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from profanity_check import predict_prob

        self._predict_prob = predict_prob

    def score(self, text: str) -> tuple[bool, float]:
        p = float(self._predict_prob([text])[0])
        return p >= 0.5, p


def run_peer(peer: ProfanityCheck | TfidfAttackBaseline, rows: Sequence[EvalRow]) -> list[RowResult]:
    """The peer's verdicts on ``rows``, timed one text at a time like the guard."""
    out = []
    for row in rows:
        started = time.perf_counter()
        caught, score = peer.score(row.text)
        out.append(
            RowResult(row=row, caught=caught, score=score, latency_ms=(time.perf_counter() - started) * 1000)
        )
    return out


def _fmt(value: Any, digits: int = 3) -> str:
    return "—" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def main() -> None:
    parser = argparse.ArgumentParser(description="Steward quality benchmark")
    parser.add_argument("--policy", default="default")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every sample size")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    args = parser.parse_args()

    t0 = time.perf_counter()
    parts = load_parts(args.scale)
    guard = Guard(load_policy(args.policy))
    detectors = ", ".join(d.name for d in guard.detectors)
    print(f"policy {args.policy}; detectors: {detectors}; caught = blocked")

    steward = {name: run_guard(guard, rows, caught="blocked") for name, rows in parts.items()}
    profanity = ProfanityCheck()
    t_train = time.perf_counter()
    baseline = TfidfAttackBaseline(attack_training_rows())
    train_s = time.perf_counter() - t_train
    peers: dict[str, dict[str, list[RowResult]]] = {"steward": steward, profanity.name: {}, baseline.name: {}}
    for s in SLICES:
        for part in s.parts:
            if s.kind == "content" and part not in peers[profanity.name]:
                peers[profanity.name][part] = run_peer(profanity, parts[part])
            if s.kind == "attack" and part not in peers[baseline.name]:
                peers[baseline.name][part] = run_peer(baseline, parts[part])

    header = [
        "slice",
        "system",
        "held-out",
        "n",
        "precision",
        "recall",
        "F1",
        "FPR",
        "AUPRC",
        "R@1%FPR",
        "p50 ms",
    ]
    table: list[list[str]] = []
    figures: list[dict[str, Any]] = []
    for s in SLICES:
        systems = ["steward"] + (
            [profanity.name] if s.kind == "content" else [baseline.name] if s.kind == "attack" else []
        )
        for system in systems:
            results = [r for part in s.parts for r in peers[system][part]]
            m = summarise(results)
            figures.append({"slice": s.name.strip(), "system": system, "held_out": s.held_out, **m})
            table.append(
                [
                    s.name,
                    system,
                    "yes" if s.held_out else "in-dist",
                    str(m["n"]),
                    *(
                        _fmt(m[k])
                        for k in ("precision", "recall", "f1", "fpr", "auprc", "recall_at_1pct_fpr")
                    ),
                    _fmt(m["latency_ms"]["p50"], 2),
                ]
            )
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print(
        "  ".join(
            h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    for row in table:
        print(
            "  ".join(
                c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )

    print("\nidentity templates (challenge test): false-positive rate spread across 63 groups")
    for system in ("steward", profanity.name):
        m = summarise(peers[system]["ch:identity"])
        worst = sorted(
            ((g, v["fpr"]) for g, v in m["by_group"].items() if v["fpr"] is not None), key=lambda x: -x[1]
        )[:3]
        print(
            f"  {system:<16} fpr_spread {_fmt(m['fpr_spread'])}  overall FPR {_fmt(m['fpr'])}  "
            f"recall {_fmt(m['recall'])}  highest FPR: {', '.join(f'{g} {v:.2f}' for g, v in worst)}"
        )
    total = sum(len(v) for v in parts.values())
    print(f"\n{total} texts; tfidf-lr trained in {train_s:.1f} s; whole run {time.perf_counter() - t0:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
