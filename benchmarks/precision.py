"""Precision benchmark: how much ordinary text the policy blocks, by genre x length x direction.

    python benchmarks/precision.py [--policy default] [--n 40] [--json out.json]

Why: a guard judged on one-line prompts can block most long documents and still look good
(issue 14: the default policy blocked 68-78% of benign texts over 1,000 characters on an
independent set, while our own challenge set said 2.7%). This benchmark cuts benign
material of many genres from ``../shared/data`` and from this repository into the five
length buckets of :data:`steward.evaluate.lengths.LENGTH_BUCKETS`, checks every text as
input, as untrusted input (third-party content) and as output with the policy (``caught`` = blocked, as users feel it), and prints
the false-positive rate of every genre x bucket x direction cell, which rule blocked, and
beside it the recall on harmful sources the model never trained on.

Leave-one-source-out, checked rather than assumed: each benign and harmful source names
the training sources it shares text with, and the shipped model's card
(``model_card.json``, ``training.sources``) says which sources trained it. A source the
model trained on is printed ``in-dist`` and left out of the verdict line (the worst held-out
cell), so no figure the verdict uses comes from a model that saw that source. ToxiGen is
split by statement (``steward.evaluate.convert.content.toxigen_split``): its rows here are
statements that training never saw.

Peer in the same run: alt-profanity-check (TF-IDF + linear SVM), whose own decision is
counted on the same texts.

Text written in this project (the challenge set, ``training/written``) is deliberately not
used here: it trains the model and grades it on the same habits.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.assessment import FindingAction, Source
from steward.evaluate import EvalRow, run_guard
from steward.evaluate.convert import read_csv, read_jsonl
from steward.evaluate.convert.attacks import jailbreak_prompts
from steward.evaluate.convert.content import toxigen_split
from steward.evaluate.lengths import LENGTH_BUCKETS, LengthBucket, chunk_documents, join_items
from steward.evaluate.metrics import average_precision, wilson_interval
from steward.guard import Guard
from steward.models.classifier import DEFAULT_MODEL, TextClassifier
from steward.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))

#: Share of a cell's texts that may be blocked for the cell to pass (issue 14's target).
FPR_TARGET = 0.03

#: How a text reaches the guard: a user's own input, third-party content passed as untrusted
#: input (a retrieved document, a tool's output: the proxy marks tool and function messages so),
#: or the model's answer.
DIRECTIONS: dict[str, tuple[Source, bool]] = {
    "input": (Source.INPUT, False),
    "untrusted input": (Source.INPUT, True),
    "output": (Source.OUTPUT, False),
}


@dataclass(frozen=True)
class Corpus:
    """One benign source: how to read it, its genre, and the training sources it overlaps."""

    name: str
    genre: str
    read: Callable[[], list[str]]
    #: ``documents`` are cut at sentence (or line) boundaries; ``items`` are joined as threads.
    shape: str
    #: Names of training sources (``training/data.py``) built from the same upstream data.
    trained_as: tuple[str, ...]
    lines: bool = False


def _davidson_neither() -> list[str]:
    return [r["tweet"] for r in read_csv(DATA / "davidson_hate" / "labeled_data.csv") if r["class"] == "2"]


def _toxigen(label: str) -> list[str]:
    rows = read_csv(DATA / "toxigen" / "statements_unique.csv")
    seen = dict.fromkeys(
        r["statement"] for r in rows if r["label"] == label and toxigen_split(r["statement"]) == "test"
    )
    return list(seen)


def _truthfulqa_questions() -> list[str]:
    return [r["Question"] for r in read_csv(DATA / "truthfulqa" / "TruthfulQA.csv")]


def _alpaca() -> list[str]:
    rows = json.loads((DATA / "alpaca" / "alpaca_noinput_instructions.json").read_text(encoding="utf-8"))
    return [str(r["instruction"]) for r in rows]


def _halueval_knowledge() -> list[str]:
    return list(
        dict.fromkeys(str(r["knowledge"]) for r in read_jsonl(DATA / "halueval" / "qa_data_first1000.json"))
    )


def _wice() -> list[str]:
    docs = []
    for split in ("dev", "test"):
        for r in read_jsonl(DATA / "wice" / f"claim_{split}.jsonl"):
            sentences = [s for s in r["evidence"] if not s.startswith("(meta data)")]
            docs.append("\n".join(sentences))
    return list(dict.fromkeys(docs))


def _bipia(kind: str) -> list[str]:
    return list(
        dict.fromkeys(
            str(r["context"])
            for split in ("train", "test")
            for r in read_jsonl(DATA / "bipia" / f"{kind}_{split}.jsonl")
        )
    )


_ADULT_FIELDS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def _adult_records() -> list[str]:
    """Census rows rendered as a tool's JSON output, 20 records per response."""
    lines = (DATA / "adult" / "adult.test").read_text(encoding="utf-8").splitlines()[1:]
    records = []
    for line in lines:
        values = [v.strip() for v in line.split(",")]
        if len(values) == len(_ADULT_FIELDS):
            records.append(json.dumps(dict(zip(_ADULT_FIELDS, values, strict=True))))
    return ["\n".join(records[i : i + 20]) for i in range(0, len(records), 20)]


def _do_not_answer_responses() -> list[str]:
    """LLM answers to risky questions that annotators judged harmless (refusals, cautions, facts)."""
    models = ("GPT4", "ChatGPT", "Claude", "ChatGLM2", "llama2-7b-chat", "vicuna-7b")
    out = []
    for r in read_csv(DATA / "do_not_answer" / "data_en.csv"):
        out.extend(
            r[f"{m}_response"] for m in models if r.get(f"{m}_harmful") == "0" and r.get(f"{m}_response")
        )
    return list(dict.fromkeys(out))


def _project_docs() -> list[str]:
    return [
        p.read_text(encoding="utf-8") for p in sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
    ]


def _project_code() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "src" / "steward").rglob("*.py"))]


CORPORA: tuple[Corpus, ...] = (
    Corpus("davidson-neither", "comments", _davidson_neither, "items", ("davidson",)),
    Corpus("toxigen-neutral", "identity statements", lambda: _toxigen("neutral"), "items", ()),
    Corpus("truthfulqa", "questions", _truthfulqa_questions, "items", ("truthfulqa",)),
    Corpus("alpaca", "instructions", _alpaca, "items", ("alpaca", "alpaca_eval")),
    Corpus("halueval-knowledge", "encyclopedia", _halueval_knowledge, "documents", ("halueval_knowledge",)),
    Corpus("wice-evidence", "web pages", _wice, "documents", ("wice",)),
    Corpus("bipia-email", "e-mails", lambda: _bipia("email"), "documents", ("bipia_email",)),
    Corpus(
        "bipia-table",
        "tool output (tables)",
        lambda: _bipia("table"),
        "documents",
        ("bipia_table",),
        lines=True,
    ),
    Corpus("adult-records", "tool output (JSON)", _adult_records, "documents", ("adult",), lines=True),
    Corpus(
        "dna-responses",
        "assistant replies",
        _do_not_answer_responses,
        "documents",
        ("do_not_answer_responses",),
    ),
    Corpus("steward-docs", "security docs", _project_docs, "documents", ("project_docs",)),
    Corpus("steward-code", "code", _project_code, "documents", ("project_code",), lines=True),
)


@dataclass(frozen=True)
class HarmfulSet:
    """One harmful source the recall column is measured on."""

    name: str
    rows: Callable[[], list[EvalRow]]
    trained_as: tuple[str, ...]


#: Do-Not-Answer harm types the content taxonomy covers (the rest: privacy of organisations,
#: misinformation, treating the chatbot as a human, ... are not content categories).
_DNA_TYPES = {
    "Adult Content",
    "Assisting illegal activities",
    "Nudging or advising users to perform unethical or unsafe actions",
    "Social stereotypes and unfair discrimination",
    "Toxic language (hate speech)",
}


def _dna_questions() -> list[EvalRow]:
    return [
        EvalRow(r["question"], 1, category=r["types_of_harm"])
        for r in read_csv(DATA / "do_not_answer" / "do_not_answer_en.csv")
        if r["types_of_harm"] in _DNA_TYPES
    ]


def _jailbreaks_flowgpt() -> list[EvalRow]:
    """Jailbreak prompts of the held-out community that are not variants of the others'
    (``steward.evaluate.convert.attacks.jailbreak_prompts`` decides which)."""
    return [
        EvalRow(r["text"][:8000], 1, category="PROMPT_ATTACK") for r in jailbreak_prompts(DATA) if r["unseen"]
    ]


def _tensor_trust() -> list[EvalRow]:
    rows = read_jsonl(DATA / "tensor_trust" / "hijacking_robustness_dataset.jsonl")
    rows += read_jsonl(DATA / "tensor_trust" / "extraction_robustness_dataset.jsonl")
    return [
        EvalRow(str(r["attack"])[:8000], 1, category="PROMPT_ATTACK")
        for r in rows
        if str(r["attack"]).strip()
    ]


def _bipia_text_injections() -> list[EvalRow]:
    """BIPIA's test-split attacks inserted at the end of held-out e-mails, as untrusted content."""
    attacks = [
        a for v in json.loads((DATA / "bipia" / "text_attack_test.json").read_text()).values() for a in v
    ]
    emails = _bipia("email")
    rng = random.Random(5)
    return [
        EvalRow(f"{rng.choice(emails)[:1500]}\n{attack}", 1, category="PROMPT_ATTACK", untrusted=True)
        for attack in attacks
    ]


def _toxigen_hate() -> list[EvalRow]:
    return [EvalRow(s, 1, category="HATE") for s in _toxigen("hate")]


def _gptfuzz_eval_harmful() -> list[EvalRow]:
    rows = read_csv(DATA / "gptfuzz" / "responses_labeled_evaluate.csv")
    return [EvalRow(r["Response"][:8000], 1, source=Source.OUTPUT) for r in rows if r["label"] == "1"]


HARMFUL: tuple[HarmfulSet, ...] = (
    HarmfulSet("do-not-answer (taxonomy types)", _dna_questions, ("do_not_answer_eval",)),
    HarmfulSet("jailbreaks of an unseen community (flowgpt)", _jailbreaks_flowgpt, ("jailbreak_flowgpt",)),
    HarmfulSet("tensor trust attacks", _tensor_trust, ("tensor_trust",)),
    HarmfulSet(
        "bipia test attacks in e-mails (untrusted)", _bipia_text_injections, ("bipia_text_attacks_test",)
    ),
    HarmfulSet("toxigen hate (held-out statements)", _toxigen_hate, ()),
    # The evaluate split of a source whose train split trains the model: reported, marked in-dist.
    HarmfulSet(
        "gptfuzz jailbroken responses (output)",
        _gptfuzz_eval_harmful,
        ("gptfuzz_responses_eval", "gptfuzz_responses"),
    ),
)


def embedded_harm_recall(guard: Guard, n: int) -> dict[str, float]:
    """Per length bucket, the share of held-out harmful requests (Do-Not-Answer, the taxonomy's
    types) blocked when hidden at a random sentence boundary of a held-out document (WiCE,
    HaluEval knowledge) of that length: precision must not be bought by ignoring harm in long text.
    """
    questions = [r.text for r in _dna_questions()]
    documents = _wice() + _halueval_knowledge()
    rng = random.Random(17)
    out: dict[str, float] = {}
    for bucket in LENGTH_BUCKETS[1:]:
        carriers = chunk_documents(documents, bucket, n, seed=23)
        rows = []
        for carrier in carriers:
            question = rng.choice(questions)
            cuts = [0, *(i + 1 for i, ch in enumerate(carrier) if ch in ".\n"), len(carrier)]
            at = rng.choice(cuts)
            rows.append(EvalRow(f"{carrier[:at]} {question} {carrier[at:]}".strip(), 1))
        results = run_guard(guard, rows, caught="blocked")
        out[bucket.name] = sum(r.caught for r in results) / max(1, len(results))
    return out


def trained_sources() -> set[str]:
    """Sources the shipped content model was trained on, from its model card."""
    card = json.loads((TextClassifier.load(DEFAULT_MODEL).directory / "model_card.json").read_text())
    return set(card["training"]["sources"])


def benign_texts(corpus: Corpus, bucket: LengthBucket, n: int) -> list[str]:
    """``n`` texts of ``corpus`` in ``bucket`` (fewer when the material does not allow)."""
    material = corpus.read()
    if corpus.shape == "items":
        return join_items(material, bucket, n, seed=11, sep="\n")
    return chunk_documents(material, bucket, n, seed=11, lines=corpus.lines)


def _blockers(guard: Guard, row: EvalRow) -> list[str]:
    """The rule types that blocked a row (empty when it passed)."""
    a = guard.apply(row.text, row.source, untrusted=row.untrusted, output_scope="FULL")
    return sorted(
        {
            f"{f.policy.value.removesuffix('Policy')}:{f.type}"
            for f in a.findings
            if f.action is FindingAction.BLOCKED
        }
    )


def blocked_share(guard: Guard, texts: Sequence[str]) -> float:
    """The share of ``texts`` the guard blocks as input (the small benchmarks beside this one use it)."""
    hits = 0
    for t in texts:
        found = guard.apply(t, Source.INPUT, output_scope="FULL").findings
        hits += any(f.action is FindingAction.BLOCKED for f in found)
    return hits / len(texts)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _interval(hits: int, n: int) -> str:
    """The 95% Wilson interval of ``hits`` of ``n``, in percent: a cell of 40 texts cannot show
    3% on its own (1 of 40 reads 0.4-12.9%), so every verdict is printed with its uncertainty."""
    bounds = wilson_interval(hits, n)
    return "—" if bounds is None else f"95% {_pct(bounds[0])}-{_pct(bounds[1])}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Steward precision benchmark")
    parser.add_argument("--policy", default="default")
    parser.add_argument("--n", type=int, default=40, help="texts per genre x bucket (per direction)")
    parser.add_argument("--harmful", type=int, default=150, help="rows per harmful source at most")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument("--no-peer", action="store_true", help="skip alt-profanity-check")
    args = parser.parse_args()
    started = time.perf_counter()
    guard = Guard(load_policy(args.policy))
    trained = trained_sources()
    print(f"policy {args.policy}; detectors: {', '.join(d.name for d in guard.detectors)}; caught = blocked")
    print(f"model trained on: {', '.join(sorted(trained))}\n")

    peer = None
    if not args.no_peer:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from profanity_check import predict

        peer = predict

    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    blocked_by: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    benign_scores: dict[str, list[float]] = {name: [] for name in DIRECTIONS}
    for corpus in CORPORA:
        in_dist = bool(set(corpus.trained_as) & trained)
        for bucket in LENGTH_BUCKETS:
            texts = benign_texts(corpus, bucket, args.n)
            peer_fp = sum(int(v) for v in peer(texts)) if peer is not None and texts else None
            for direction, (source, untrusted) in DIRECTIONS.items():
                rows = [EvalRow(t, 0, source=source, untrusted=untrusted) for t in texts]
                results = run_guard(guard, rows, caught="blocked")
                fp = sum(r.caught for r in results)
                benign_scores[direction].extend(r.score for r in results)
                for row, r in zip(rows, results, strict=True):
                    if r.caught:
                        for rule in _blockers(guard, row):
                            blocked_by[direction][rule] += 1
                        if len(examples[corpus.name]) < 2:
                            examples[corpus.name].append(f"[{direction}] {row.text[:160]!r}")
                cells[(corpus.name, bucket.name, direction)] = {
                    "genre": corpus.genre,
                    "in_dist": in_dist,
                    "n": len(texts),
                    "blocked": fp,
                    "fpr": fp / len(texts) if texts else None,
                    "peer_fpr": None if peer_fp is None or not texts else peer_fp / len(texts),
                }
        print(f"  {corpus.name}: done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    for direction in DIRECTIONS:
        print(
            f"\nFPR (% blocked) as {direction.upper()}, {args.n} texts per cell; peer = alt-profanity-check"
        )
        header = f"{'source':<20} {'genre':<22} {'held-out':<8} " + " ".join(
            f"{b.name:>8}" for b in LENGTH_BUCKETS
        )
        print(header + "   peer (all lengths)")
        for corpus in CORPORA:
            row = [cells[(corpus.name, b.name, direction)] for b in LENGTH_BUCKETS]
            peer_all = [c["peer_fpr"] for c in row if c["peer_fpr"] is not None]
            flag = "in-dist" if row[0]["in_dist"] else "yes"
            line = f"{corpus.name:<20} {corpus.genre:<22} {flag:<8} " + " ".join(
                f"{_pct(c['fpr']):>8}" for c in row
            )
            print(line + f"   {_pct(sum(peer_all) / len(peer_all)) if peer_all else '—'}")
        print(
            "blocked by:", ", ".join(f"{k} {v}" for k, v in blocked_by[direction].most_common()) or "nothing"
        )

    held = [c for c in cells.values() if not c["in_dist"] and c["n"]]
    worst = max(held, key=lambda c: c["fpr"])
    key = next(k for k, c in cells.items() if c is worst)
    total_fp = sum(c["blocked"] for c in held)
    total_n = sum(c["n"] for c in held)
    verdict = "MET" if worst["fpr"] <= FPR_TARGET else "NOT MET"
    print(
        f"\nheld-out benign texts blocked: {total_fp}/{total_n} = {_pct(total_fp / total_n)}% "
        f"({_interval(total_fp, total_n)}); "
        f"worst cell {key[0]} {key[1]} {key[2]}: {_pct(worst['fpr'])}% "
        f"({_interval(worst['blocked'], worst['n'])}; "
        f"target <= {100 * FPR_TARGET:.0f}% in every cell: {verdict})"
    )
    if examples:
        print("examples of blocked benign texts:")
        for name, ex in examples.items():
            for e in ex:
                print(f"  {name}: {e}")

    print(
        "\nrecall (% blocked) on harmful sources the model never trained on; AUPRC against the benign texts above"
    )
    recall_rows = []
    for hs in HARMFUL:
        rows = hs.rows()
        rows = [rows[(i * len(rows)) // args.harmful] for i in range(min(args.harmful, len(rows)))]
        results = run_guard(guard, rows, caught="blocked")
        recall = sum(r.caught for r in results) / len(results)
        direction = next(
            name
            for name, (source, untrusted) in DIRECTIONS.items()
            if (source, untrusted) == (rows[0].source, rows[0].untrusted)
        )
        negatives = benign_scores[direction]
        auprc = average_precision(
            [1] * len(results) + [0] * len(negatives), [r.score for r in results] + negatives
        )
        in_dist = bool(set(hs.trained_as) & trained)
        recall_rows.append(
            {"source": hs.name, "n": len(rows), "recall": recall, "auprc": auprc, "in_dist": in_dist}
        )
        print(
            f"  {hs.name:<44} {'in-dist' if in_dist else 'held-out':<8} n={len(rows):<4} "
            f"recall {_pct(recall):>5}% ({_interval(sum(r.caught for r in results), len(results))})  "
            f"AUPRC {auprc:.3f} ({direction})"
        )
    embedded = embedded_harm_recall(guard, max(10, args.harmful // 3))
    print("\nrecall (% blocked) on held-out harmful requests hidden inside held-out documents, by length")
    print("  " + "  ".join(f"{name} {_pct(r)}%" for name, r in embedded.items()))
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")
    if args.json is not None:
        out = {
            "cells": [{"source": k[0], "bucket": k[1], "direction": k[2], **v} for k, v in cells.items()],
            "blocked_by": {d: dict(c) for d, c in blocked_by.items()},
            "recall": recall_rows,
            "embedded_recall": embedded,
        }
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
