"""Fine-tune the content/prompt-attack classifier on CPU and fit its calibration.

    python training/train.py --layers 3 --epochs 2 --out training/runs/guard-l3

Why these choices: the encoder is fine-tuned (a frozen embedding plus linear heads
learns word lists, see DESIGN.md), but its word-embedding matrix stays frozen (most of the
parameters, little to gain on ~15k rows, and it triples the step time on 2 cores); only the
first ``--layers`` transformer layers are kept so that inference fits the hot-path budget;
each category has its own sigmoid, so a text can be both an attack and violent; untrusted
third-party text is marked with a reserved token after ``[CLS]``. Rows are batched by length
(dynamic padding) so short prompts cost little. Calibration (Platt scaling per head) is fitted
on the calibration split, which mixes every training source, benign ones included.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import LABELS, Example, load_examples, split_rows
from model import UNTRUSTED_TOKEN_ID, Classifier, base_model_dir

MAX_TOKENS = 128


def tokenizer() -> Tokenizer:
    tok = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_TOKENS)
    return tok


def encode(tok: Tokenizer, rows: list[Example]) -> list[list[int]]:
    out = []
    for enc, ex in zip(tok.encode_batch([ex.text for ex in rows]), rows, strict=True):
        ids = list(enc.ids)
        if ex.untrusted:
            ids = [ids[0], UNTRUSTED_TOKEN_ID, *ids[1:]][:MAX_TOKENS]
            ids[-1] = enc.ids[-1]
        out.append(ids)
    return out


def targets(rows: list[Example]) -> np.ndarray:
    return np.array([[1.0 if lab in ex.labels else 0.0 for lab in LABELS] for ex in rows], dtype=np.float32)


def batches(ids: list[list[int]], size: int, rng: random.Random, *, shuffle: bool) -> list[list[int]]:
    """Index batches of similar length (sorted within shuffled pools of 50 batches)."""
    order = list(range(len(ids)))
    if shuffle:
        rng.shuffle(order)
    pool = size * 50
    out: list[list[int]] = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: len(ids[j]))
        out.extend(chunk[k : k + size] for k in range(0, len(chunk), size))
    if shuffle:
        rng.shuffle(out)
    return out


def pad(ids: list[list[int]], idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids[j]) for j in idx)
    x = torch.zeros((len(idx), width), dtype=torch.long)
    m = torch.zeros((len(idx), width), dtype=torch.long)
    for r, j in enumerate(idx):
        x[r, : len(ids[j])] = torch.tensor(ids[j])
        m[r, : len(ids[j])] = 1
    return x, m


@torch.no_grad()
def predict_logits(model: Classifier, ids: list[list[int]], size: int = 64) -> np.ndarray:
    model.eval()
    out = np.zeros((len(ids), len(LABELS)), dtype=np.float32)
    for idx in batches(ids, size, random.Random(0), shuffle=False):
        x, m = pad(ids, idx)
        out[idx] = model(x, m).numpy()
    return out


def fit_platt(logits: np.ndarray, y: np.ndarray) -> list[dict[str, float]]:
    """Per head: p = sigmoid(a * logit + b), fitted by logistic regression on the calibration split."""
    params = []
    for k in range(len(LABELS)):
        if y[:, k].min() == y[:, k].max():
            params.append({"a": 1.0, "b": 0.0})
            continue
        lr = LogisticRegression(C=100.0)
        lr.fit(logits[:, k : k + 1], y[:, k])
        params.append({"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])})
    return params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    train, calib, _ = split_rows(load_examples())
    tok = tokenizer()
    tr_ids, ca_ids = encode(tok, train), encode(tok, calib)
    y_tr, y_ca = targets(train), targets(calib)
    w_tr = torch.tensor([ex.weight for ex in train], dtype=torch.float32)
    pos = y_tr.sum(0)
    pos_weight = torch.tensor(
        np.clip(np.sqrt((len(train) - pos) / np.maximum(pos, 1)), 1.0, 8.0), dtype=torch.float32
    )
    print(
        f"train {len(train)} calib {len(calib)} pos {dict(zip(LABELS, pos.astype(int).tolist(), strict=True))}",
        flush=True,
    )

    model = Classifier.from_minilm(len(LABELS), args.layers)
    model.word.weight.requires_grad_(False)
    head = [p for n, p in model.named_parameters() if n.startswith("head")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head")]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": args.lr}, {"params": head, "lr": args.lr * 20}], weight_decay=0.01
    )
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total = int(steps_per_epoch * args.epochs)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=pos_weight)
    step, started = 0, time.time()
    while step < total:
        model.train()
        for idx in batches(tr_ids, args.batch, rng, shuffle=True):
            if step >= total:
                break
            x, m = pad(tr_ids, idx)
            logits = model(x, m)
            loss = (loss_fn(logits, torch.from_numpy(y_tr[idx])).mean(1) * w_tr[idx]).sum() / w_tr[idx].sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0 or step == total:
                print(f"step {step}/{total} loss {loss.item():.4f} {time.time() - started:.0f}s", flush=True)
    torch.save(model.state_dict(), args.out / "model.pt")
    logits = predict_logits(model, ca_ids)
    platt = fit_platt(logits, y_ca)
    meta = {
        "labels": list(LABELS),
        "layers": args.layers,
        "max_tokens": MAX_TOKENS,
        "untrusted_token_id": UNTRUSTED_TOKEN_ID,
        "calibration": {lab: p for lab, p in zip(LABELS, platt, strict=True)},
        "train_rows": len(train),
        "calibration_rows": len(calib),
        "train_sources": sorted({ex.source for ex in train}),
        "epochs": args.epochs,
        "lr": args.lr,
        "batch": args.batch,
        "seed": args.seed,
        "seconds": round(time.time() - started),
        "command": "python training/train.py " + " ".join(sys.argv[1:]),
    }
    (args.out / "train_meta.json").write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta["calibration"], indent=1), flush=True)


if __name__ == "__main__":
    main()
