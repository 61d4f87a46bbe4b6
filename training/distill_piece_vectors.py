"""Distil sentence vectors for denied topics from the content model's token states.

    python training/distill_piece_vectors.py            # about 15 minutes on 2 cores
    python training/distill_piece_vectors.py --features /tmp/pieces.npz   # reuse the encoded pieces

Why: the denied-topics check compared sentences with all-MiniLM-L6 (a second encoder, about
15 ms per 1,000-character prompt). The content model has already read the text; its token
states, averaged over a sentence, hold most of what MiniLM-L6 would say about it. This
script teaches a small network (1,536 → 1,024 → 384, GELU) to map those averages to the
MiniLM-L6 vector of the same sentence read alone — the teacher's geometry, which the topic
calibration (``training/calibrate_topics.py``) is then fitted on.

Data: documents from permissively licensed sources in ``../shared/data`` (HaluEval general
answers, GPTFuzz responses, jailbreak_llms prompts, DocNLI's multi-genre premises; the
documents of ``train_names.py`` minus HaluEval-QA, the grounding check's held-out source, and
minus BIPIA's e-mails and tables and TruthfulQA, the precision benchmark's held-out sources)
and the hand-written training rows in ``training/written``. Unlabelled: only the
teacher's vectors are used. Never the topics calibration set, never the independent
benchmarks of DESIGN.md, never non-commercial sources. The pieces are cut and pooled by the
run-time code itself (``TextClassifier.encode``: ``embedding_pieces`` and the pooling), so training cannot
drift from run time. Every tenth document is held out to report agreement with the teacher.

Writes ``src/steward/models/artifacts/piece-projection/``: the network as an ONNX graph
(run by onnxruntime on one thread: a numpy matrix product would wake BLAS threads that then
compete with the encoder's) and a model card with data, counts, agreement and sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("STEWARD_EMBEDDING_CACHE", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import docnli_documents
from train_names import corpus

from steward.models.classifier import ARTIFACTS_DIR, TextClassifier
from steward.models.embedder import default_embedder
from steward.models.piece_embedder import DEFAULT_PROJECTION

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = ROOT / "training" / "written"
#: Longest document read as one text; longer ones give a random 1,000-character slice
#: (the length the latency budget is set for).
MAX_CHARS = 1200
HELD_OUT_EVERY = 10


def documents(n: int, seed: int) -> list[tuple[str, str]]:
    """``(source, text)`` for ``n`` shuffled documents, long ones cut to about 1,000 characters."""
    rng = random.Random(seed)
    # HaluEval-QA is the grounding check's held-out source; BIPIA's e-mails and tables and
    # TruthfulQA are the precision benchmark's: none of them shapes the screen, even unlabelled.
    held_out = {"halueval_qa", "bipia", "truthfulqa"}
    docs = [(source, text) for source, text in corpus() if source not in held_out and len(text.strip()) > 20]
    docs += [("docnli", text) for text in docnli_documents(random.Random(seed))[:4000]]
    for path in sorted(WRITTEN.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                docs.append((f"written/{path.stem}", str(json.loads(line)["text"])))
    rng.shuffle(docs)
    out = []
    for source, text in docs[:n]:
        if len(text) > MAX_CHARS:
            start = text.find(" ", rng.randrange(0, len(text) - 1000)) + 1
            text = text[start : start + 1000]
        out.append((source, text))
    return out


def encode_pieces(docs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Pooled token states (student input) and MiniLM-L6 vectors (teacher) for every piece."""
    classifier = TextClassifier.load()
    teacher = default_embedder()
    xs, ys, doc_ids = [], [], []
    started = time.time()
    for first in range(0, len(docs), 8):
        batch = docs[first : first + 8]
        encoded = classifier.encode([text for _, text in batch])
        for offset, ((_, text), enc) in enumerate(zip(batch, encoded, strict=True)):
            # A piece with no token pools to zeros: nothing to learn from it.
            keep = np.abs(enc.piece_states).sum(axis=1) > 0
            spans = [s for s, k in zip(enc.pieces, keep, strict=True) if k]
            if not spans:
                continue
            xs.append(enc.piece_states[keep])
            ys.append(teacher.embed([text[s:e] for s, e in spans]))
            doc_ids += [first + offset] * len(spans)
        if first % 800 == 0:
            print(
                f"{first}/{len(docs)} documents, {len(doc_ids)} pieces, {time.time() - started:.0f} s",
                flush=True,
            )
    return {"x": np.vstack(xs), "y": np.vstack(ys), "doc": np.array(doc_ids)}


def train(
    x: np.ndarray, y: np.ndarray, held: np.ndarray, *, hidden: int, epochs: int, seed: int
) -> dict[str, np.ndarray]:
    """Fit the projection with a cosine loss plus an in-batch contrastive term.

    The contrastive term keeps different sentences apart (the teacher's neighbourhoods are
    what topic matching uses), not only each vector close to its own target.
    """
    torch.manual_seed(seed)
    mean, std = x[~held].mean(axis=0), x[~held].std(axis=0) + 1e-4
    xt = torch.from_numpy(((x[~held] - mean) / std).astype(np.float32))
    yt = torch.from_numpy(y[~held].astype(np.float32))
    net = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(x.shape[1], hidden),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Linear(hidden, y.shape[1]),
    )
    steps = epochs * ((len(xt) + 255) // 256)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), 256):
            b = order[i : i + 256]
            p = torch.nn.functional.normalize(net(xt[b]), dim=1)
            cosine = (p * yt[b]).sum(1)
            contrast = torch.nn.functional.cross_entropy(p @ yt[b].T / 0.05, torch.arange(len(b)))
            loss = (1 - cosine).mean() + 0.1 * contrast
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}/{epochs} loss {float(loss):.4f}", flush=True)
    net.eval()
    return Projection(mean, std, net)


class Projection(torch.nn.Module):
    """Standardise, the trained network, L2-normalise: the whole run-time map in one graph."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, net: torch.nn.Module) -> None:
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(mean.astype(np.float32)))
        self.register_buffer("std", torch.from_numpy(std.astype(np.float32)))
        self.net = net

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        out = self.net((pooled - self.mean) / self.std)
        return torch.nn.functional.normalize(out, dim=1)


def export(projection: torch.nn.Module, dims: int, path: Path) -> None:
    """The projection as an fp32 ONNX graph with input ``pooled`` and output ``vectors``."""
    torch.onnx.export(
        projection,
        (torch.zeros(2, dims),),
        str(path),
        input_names=["pooled"],
        output_names=["vectors"],
        dynamic_axes={"pooled": {0: "pieces"}, "vectors": {0: "pieces"}},
        opset_version=17,
        dynamo=False,
    )


def agreement(directory: Path, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Cosine to the teacher on held-out pieces, and how often a piece's nearest teacher
    vector (among 2,000 held-out pieces) is its own — measured with the shipped ONNX graph
    through the run-time code."""
    from steward.models.piece_embedder import PieceEmbedder

    student = PieceEmbedder(directory, TextClassifier.load())
    p = student.project(x.astype(np.float32))
    cos = (p * y).sum(axis=1)
    n = min(2000, len(p))
    nearest = (p[:n] @ y[:n].T).argmax(axis=1)
    return {
        "held_out_pieces": len(p),
        "cosine_mean": round(float(cos.mean()), 4),
        "cosine_p10": round(float(np.percentile(cos, 10)), 4),
        "nearest_is_own_of_2000": round(float((nearest == np.arange(n)).mean()), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=12000)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--features", type=Path, help="cache of encoded pieces (written if missing)")
    ap.add_argument("--out", type=Path, default=ARTIFACTS_DIR / DEFAULT_PROJECTION)
    args = ap.parse_args()
    started = time.time()
    docs = documents(args.documents, args.seed)
    if args.features and args.features.exists():
        data = dict(np.load(args.features))
    else:
        data = encode_pieces(docs)
        if args.features:
            np.savez(args.features, **data)
    held = data["doc"] % HELD_OUT_EVERY == 0
    projection = train(data["x"], data["y"], held, hidden=args.hidden, epochs=args.epochs, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    weights_path = args.out / "projection.onnx"
    export(projection, data["x"].shape[1], weights_path)
    card_path = args.out / "model_card.json"
    card = {
        "name": args.out.name,
        "task": "sentence vectors for denied topics: pooled token states of the content model, "
        "mapped into the all-MiniLM-L6-v2 sentence space",
        "encoder": TextClassifier.load().name,
        "teacher": default_embedder().name,
        "architecture": f"standardise, Linear({data['x'].shape[1]}, {args.hidden}), GELU (tanh), "
        f"Linear({args.hidden}, {data['y'].shape[1]}), L2-normalise",
        "weights_file": weights_path.name,
        "weights_sha256": "",
        "training": {
            "documents": len(docs),
            "documents_per_source": dict(sorted(Counter(s for s, _ in docs).items())),
            "pieces": int((~held).sum()),
            "epochs": args.epochs,
            "seed": args.seed,
            "loss": "1 - cosine to the teacher + 0.1 x in-batch contrastive (temperature 0.05)",
            "data": "../shared/data (permissive sources, see training/train_names.py) + training/written",
            "never_used": "data/topics_calibration, HaluEval-QA, alpaca, do_not_answer, the benchmarks named in DESIGN.md",
        },
        "held_out": {},
        "seconds": 0,
        "command": "python training/distill_piece_vectors.py",
    }
    card["weights_sha256"] = hashlib.sha256(weights_path.read_bytes()).hexdigest()
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    card["held_out"] = agreement(args.out, data["x"][held], data["y"][held])
    card["seconds"] = round(time.time() - started)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card["held_out"], indent=2))


if __name__ == "__main__":
    main()
