"""Fine-tune the content/prompt-attack classifier on CPU and fit its document-level calibration.

    python training/train.py --layers 4 --epochs 2 --out training/runs/guard-l4

Why these choices: the encoder is fine-tuned (a frozen embedding plus linear heads learns
word lists, see DESIGN.md), but its word-embedding matrix stays frozen (most of the
parameters, little to gain, and it triples the step time on 2 cores); only the first
``--layers`` transformer layers are kept so that inference fits the hot-path budget; each
category has its own sigmoid, so a text can be both an attack and violent; untrusted
third-party text is marked with a reserved token after ``[CLS]``.

How a text is read — the way the product reads it (issue 14): the product cuts a text into
windows of :data:`steward.models.classifier.WINDOW_TOKENS` word pieces and scores it by the
maximum over its windows, so training does the same (multiple-instance learning). Each row
is a *bag* of windows made by the runtime's own windowing code; its logit per label is the
maximum over its windows, and the loss is on that. A long benign document therefore has to
score low in every window, and a long attack needs only one window that gives it away —
instead of every fixed-size chunk of a jailbreak being labelled an attack, which taught the
model that any long role-play or instructions were attacks. A bag longer than
:data:`CROP_WINDOWS` is cropped to a random run of windows each epoch, always keeping a
window that covers the row's ``focus`` (an inserted attack or harmful sentence).

Calibration is fitted per label on the calibration split's *whole* texts (up to the longest
length the product is measured on): ``p = sigmoid(a * max_logit + b + c * ln(windows))``.
The ``c`` term corrects the maximum's drift with length (a maximum over 30 windows is
higher than over one for the same kind of text); fitted with positives and negatives
weighted to the same prior in every length bucket, it cannot learn that long texts are
more often harmful (jailbreaks are long, most benign rows short), only how the maximum
grows with the number of windows.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import (
    LABELS,
    Example,
    courtesy_wrapped,
    data_options,
    group_swapped,
    load_examples,
    recipe,
    split_rows,
    surface_variants,
    weight_benign_identity,
    weight_toxigen_statements,
)
from model import UNTRUSTED_TOKEN_ID, Classifier, base_model_dir

from steward.evaluate.lengths import LENGTH_BUCKETS, bucket_of
from steward.models.classifier import WINDOW_OVERLAP, WINDOW_TOKENS
from steward.models.onnx_runtime import token_windows

#: The longest window the model was built for (its position table is larger; the product
#: reads :data:`WINDOW_TOKENS`).
MAX_TOKENS = 128
#: Windows of one text read per training step at most (a random run, kept over its focus).
CROP_WINDOWS = 5
#: Windows of one text read for calibration and evaluation at most (~8,000 characters).
MAX_WINDOWS = 48


def tokenizer() -> Tokenizer:
    tok = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


@dataclass(frozen=True, slots=True)
class Bag:
    """A text as the product reads it: its windows' token ids, and which windows hold its focus."""

    windows: list[list[int]]
    focus: list[int]


def encode(tok: Tokenizer, rows: list[Example]) -> list[Bag]:
    """Every row cut into the runtime's windows (with the untrusted marker where it applies)."""
    bags = []
    for ex in rows:
        size = WINDOW_TOKENS - 1 if ex.untrusted else WINDOW_TOKENS
        wins = token_windows(tok, ex.text, max_tokens=size, stride=WINDOW_OVERLAP)[:MAX_WINDOWS]
        ids = []
        focus = []
        for k, w in enumerate(wins):
            tokens = [t for t, m in zip(w.encoding.ids, w.encoding.attention_mask, strict=True) if m]
            if ex.untrusted:
                tokens = [tokens[0], UNTRUSTED_TOKEN_ID, *tokens[1:]]
            ids.append(tokens)
            if ex.focus is not None and w.start < ex.focus[1] and w.end > ex.focus[0]:
                focus.append(k)
        bags.append(Bag(ids, focus))
    return bags


def crop(bag: Bag, rng: random.Random, size: int = CROP_WINDOWS) -> list[list[int]]:
    """A random run of at most ``size`` windows of ``bag``, covering a focus window if it has one."""
    n = len(bag.windows)
    if n <= size:
        return bag.windows
    if bag.focus:
        f = rng.choice(bag.focus)
        start = rng.randint(max(0, f - size + 1), min(f, n - size))
    else:
        start = rng.randint(0, n - size)
    return bag.windows[start : start + size]


def targets(rows: list[Example]) -> np.ndarray:
    return np.array([[1.0 if lab in ex.labels else 0.0 for lab in LABELS] for ex in rows], dtype=np.float32)


def batches(bags: list[Bag], size: int, rng: random.Random, *, shuffle: bool) -> list[list[int]]:
    """Index batches of texts of similar cost (sorted within shuffled pools of 50 batches)."""
    order = list(range(len(bags)))
    if shuffle:
        rng.shuffle(order)
    pool = size * 50

    def cost(j: int) -> tuple[int, int]:
        wins = bags[j].windows
        return min(len(wins), CROP_WINDOWS), max(len(w) for w in wins)

    out: list[list[int]] = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=cost)
        out.extend(chunk[k : k + size] for k in range(0, len(chunk), size))
    if shuffle:
        rng.shuffle(out)
    return out


def pad(windows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(w) for w in windows)
    x = torch.zeros((len(windows), width), dtype=torch.long)
    m = torch.zeros((len(windows), width), dtype=torch.long)
    for r, w in enumerate(windows):
        x[r, : len(w)] = torch.tensor(w)
        m[r, : len(w)] = 1
    return x, m


def bag_logits(model: Classifier, bags: list[list[list[int]]]) -> torch.Tensor:
    """Per text and label, the maximum logit over its windows (``[texts, labels]``)."""
    flat = [w for bag in bags for w in bag]
    owner = torch.tensor([i for i, bag in enumerate(bags) for _ in bag], dtype=torch.long)
    x, m = pad(flat)
    logits = model(x, m)
    out = torch.full((len(bags), logits.shape[1]), -1e4, dtype=logits.dtype)
    return out.scatter_reduce(0, owner[:, None].expand_as(logits), logits, reduce="amax", include_self=True)


@torch.no_grad()
def predict_logits(model: Classifier, bags: list[Bag], size: int = 16) -> np.ndarray:
    """Every whole text's maximum logit per label (no cropping), in order."""
    model.eval()
    out = np.zeros((len(bags), len(LABELS)), dtype=np.float32)
    for start in range(0, len(bags), size):
        chunk = bags[start : start + size]
        out[start : start + len(chunk)] = bag_logits(model, [b.windows for b in chunk]).numpy()
    return out


def length_balanced_weights(lengths: list[int], y: np.ndarray) -> np.ndarray:
    """Weights that give positives the same share in every length bucket: their share overall.

    Why: in the training sources long texts are mostly jailbreaks and short ones mostly
    benign; a calibration fitted on them as they come learns "long means harmful". Weighted
    per bucket, the length term can only learn how the maximum over windows drifts, and the
    label's overall prevalence (a few per cent for most labels) stays the prior, so a score
    is not inflated by an even split that real traffic never has.
    """
    prior = float(y.mean())
    buckets = [bucket_of(max(1, n)) for n in lengths]
    names = [b.name if b is not None else "long" for b in buckets]
    w = np.zeros(len(y))
    for name in set(names):
        idx = np.array([i for i, b in enumerate(names) if b == name])
        pos = idx[y[idx] == 1]
        neg = idx[y[idx] == 0]
        if len(pos) and len(neg):
            w[pos] = prior / len(pos)
            w[neg] = (1 - prior) / len(neg)
    return w * len(y) / max(w.sum(), 1e-9)


#: Fewest positives and negatives of a label among untrusted rows for a calibration of its own.
MIN_UNTRUSTED_CLASS = 30


#: The upper quantile of benign texts' maximum logit whose drift with length the curve undoes.
DRIFT_QUANTILE = 0.9
#: Bands of window counts the drift is measured over (lower bounds; the last is open).
DRIFT_BANDS = (1, 2, 4, 8, 16)


def benign_drift(logits: np.ndarray, windows: np.ndarray) -> float:
    """How fast benign texts' maximum logit rises with ``ln(windows)`` (0 if it does not).

    The slope, across bands of window counts, of the :data:`DRIFT_QUANTILE` quantile of the
    maximum logit of texts without the label. Measured on benign texts alone, so that how far
    the training sources' own positives lie from the boundary cannot set it: a logistic fit of
    the length term on positives and negatives together made it as steep as those positives
    could bear, and long attacks from an unseen community, which score lower, were sunk.
    """
    points = []
    edges = [*DRIFT_BANDS, 10**6]
    for low, high in itertools.pairwise(edges):
        sel = (windows >= low) & (windows < high)
        if sel.sum() >= 20:
            points.append(
                (float(np.log(windows[sel]).mean()), float(np.quantile(logits[sel], DRIFT_QUANTILE)))
            )
    if len(points) < 2:
        return 0.0
    slope = float(np.polyfit([x for x, _ in points], [q for _, q in points], 1)[0])
    return max(slope, 0.0)


def fit_calibration(
    logits: np.ndarray, windows: np.ndarray, y: np.ndarray, lengths: list[int]
) -> list[dict[str, float]]:
    """Per head: ``p = sigmoid(a * max_logit + b + c * ln(windows))``, fitted on the given rows.

    ``c = -a * drift``: the benign drift (:func:`benign_drift`) is taken off the maximum
    first, then ``a`` and ``b`` are fitted on the corrected logit with every length bucket
    weighted to the label's overall prevalence (:func:`length_balanced_weights`).
    """
    params = []
    log_windows = np.log(np.maximum(windows, 1))
    for k in range(len(LABELS)):
        if y[:, k].min() == y[:, k].max():
            params.append({"a": 1.0, "b": 0.0, "c": 0.0})
            continue
        drift = benign_drift(logits[y[:, k] == 0, k], windows[y[:, k] == 0])
        corrected = logits[:, k] - drift * log_windows
        w = length_balanced_weights(lengths, y[:, k])
        lr = LogisticRegression(C=100.0).fit(corrected[:, None], y[:, k], sample_weight=w)
        a = float(lr.coef_[0, 0])
        params.append({"a": a, "b": float(lr.intercept_[0]), "c": -a * drift})
    return params


def fit_calibrations(
    logits: np.ndarray, windows: np.ndarray, y: np.ndarray, rows: list[Example]
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Calibrations for text read as the user's own and for text marked untrusted.

    Why two: marked third-party content is read for a different thing (an instruction aimed
    at the assistant inside a document), and its windows' maximum drifts with length far more
    than a user's text does; one curve for both let the untrusted documents' drift set the
    length term, which then sank long jailbreaks typed by users. A label with too few
    untrusted examples of either class keeps the trusted curve.
    """
    lengths = [len(ex.text) for ex in rows]
    marked = np.array([ex.untrusted for ex in rows])
    own = fit_calibration(
        logits[~marked],
        windows[~marked],
        y[~marked],
        [n for n, m in zip(lengths, marked, strict=True) if not m],
    )
    third = fit_calibration(
        logits[marked], windows[marked], y[marked], [n for n, m in zip(lengths, marked, strict=True) if m]
    )
    for k in range(len(LABELS)):
        positives = int(y[marked, k].sum())
        if min(positives, int(marked.sum()) - positives) < MIN_UNTRUSTED_CLASS:
            third[k] = dict(own[k])
    return own, third


def report(probs: np.ndarray, rows: list[Example]) -> None:
    """Calibration-split figures by length bucket: benign texts flagged, positives found.

    These are training sources (held out from the fit, not from the sources): a sanity check
    of the length behaviour, not evidence of generalisation — that is
    ``benchmarks/precision.py``'s job.
    """
    content = [k for k, lab in enumerate(LABELS) if lab != "PROMPT_ATTACK"]
    attack = LABELS.index("PROMPT_ATTACK")
    harm = probs[:, content].max(1)
    names = [(bucket_of(max(1, len(ex.text))) or LENGTH_BUCKETS[-1]).name for ex in rows]
    print(
        f"{'bucket':<9}{'benign':>7}{'harm>=.6':>9}{'harm>=.35':>10}{'att>=.35':>9}{'att>=.6':>8}"
        f"{'harmful':>8}{'recall.6':>9}{'attacks':>8}{'recall.35':>10}"
    )
    for bucket in LENGTH_BUCKETS:
        idx = [i for i, name in enumerate(names) if name == bucket.name]
        ben = [i for i in idx if not rows[i].labels]
        bad = [i for i in idx if rows[i].labels - {"PROMPT_ATTACK"}]
        att = [i for i in idx if "PROMPT_ATTACK" in rows[i].labels]

        def share(sel: list[int], values: np.ndarray, thr: float) -> str:
            return f"{np.mean(values[sel] >= thr):.3f}" if sel else "—"

        print(
            f"{bucket.name:<9}{len(ben):>7}{share(ben, harm, 0.6):>9}{share(ben, harm, 0.35):>10}"
            f"{share(ben, probs[:, attack], 0.35):>9}{share(ben, probs[:, attack], 0.6):>8}{len(bad):>8}"
            f"{share(bad, harm, 0.6):>9}{len(att):>8}{share(att, probs[:, attack], 0.35):>10}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--epochs", type=float, default=3.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exclude", nargs="*", default=[], help="training sources to leave out (a fold)")
    ap.add_argument(
        "--surface-variants",
        action="store_true",
        help="also train a third of the short texts with their closing mark flipped (data.surface_variants; "
        "in the shipped model since the seventeenth session)",
    )
    ap.add_argument(
        "--courtesy-wrapped",
        action="store_true",
        help="also train short requests wrapped in pleasantries, every short attack among them "
        "(data.courtesy_wrapped; in the shipped model since the seventeenth session)",
    )
    ap.add_argument(
        "--identity-weight",
        type=float,
        default=1.0,
        help="multiply the weight of the benign written identity rows (data.weight_benign_identity; "
        "the shipped model, seventeenth session: 2)",
    )
    ap.add_argument(
        "--toxigen-weight",
        type=float,
        default=1.0,
        help="multiply the weight of the ToxiGen seed statements read alone, 3.0 each "
        "(data.weight_toxigen_statements; tried at 1/3 in the eighteenth session, not shipped)",
    )
    ap.add_argument(
        "--statement-split",
        action="store_true",
        help="split ToxiGen's statements, Davidson's tweets, GPTFuzz's questions and the written rows "
        "between training and calibration by statement, with every row built from them "
        "(data.load_examples; twenty-second and twenty-third sessions)",
    )
    ap.add_argument(
        "--entailed-claims",
        action="store_true",
        help="also train DocNLI's entailed hypotheses, alone and as pages, as benign "
        "(data.docnli_entailed_claims; twenty-fourth session)",
    )
    ap.add_argument(
        "--group-swap",
        action="store_true",
        help="also train copies of ToxiGen's training statements and stance frames naming other groups "
        "(data.group_swapped; twenty-third session)",
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--calibrate-only", action="store_true", help="refit the calibration of the model already in --out"
    )
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    if args.calibrate_only and (args.out / "train_meta.json").is_file():
        # The calibration split depends on how the run split its statements: read it from the run.
        trained = json.loads((args.out / "train_meta.json").read_text())
        for key, value in data_options(trained).items():
            setattr(args, key, getattr(args, key) or value)
    train, calib, held = split_rows(load_examples(**data_options(vars(args))))
    if args.exclude:
        train = [ex for ex in train if ex.source not in args.exclude]
        calib = [ex for ex in calib if ex.source not in args.exclude]
    train = weight_toxigen_statements(
        weight_benign_identity(train, args.identity_weight), args.toxigen_weight
    )
    variants = surface_variants(train, held, random.Random(args.seed + 1)) if args.surface_variants else []
    wrapped = courtesy_wrapped(train, held, random.Random(args.seed + 2)) if args.courtesy_wrapped else []
    # After the other augmentations, from their own generator, so a run without it draws the same copies.
    swapped = group_swapped(train, held, random.Random(args.seed + 3)) if args.group_swap else []
    train += variants + wrapped + swapped
    tok = tokenizer()
    tr_bags, ca_bags = encode(tok, train), encode(tok, calib)
    y_tr, y_ca = targets(train), targets(calib)
    w_tr = torch.tensor([ex.weight for ex in train], dtype=torch.float32)
    pos = y_tr.sum(0)
    pos_weight = torch.tensor(
        np.clip(np.sqrt((len(train) - pos) / np.maximum(pos, 1)), 1.0, 8.0), dtype=torch.float32
    )
    windows = sum(min(len(b.windows), CROP_WINDOWS) for b in tr_bags)
    print(
        f"train {len(train)} texts ({windows} windows per epoch) calib {len(calib)} "
        f"pos {dict(zip(LABELS, pos.astype(int).tolist(), strict=True))}",
        flush=True,
    )

    model = Classifier.from_minilm(len(LABELS), args.layers)
    if args.calibrate_only:
        model.load_state_dict(torch.load(args.out / "model.pt", weights_only=True))
        calibrate(model, ca_bags, y_ca, calib, args)
        return
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
        for idx in batches(tr_bags, args.batch, rng, shuffle=True):
            if step >= total:
                break
            logits = bag_logits(model, [crop(tr_bags[j], rng) for j in idx])
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
    (args.out / "train_meta.json").write_text(
        json.dumps(
            {
                "train_rows": len(train),
                "surface_variants": len(variants),
                "courtesy_wrapped": len(wrapped),
                "group_swap": len(swapped),
                "identity_weight": args.identity_weight,
                "toxigen_weight": args.toxigen_weight,
                "statement_split": int(args.statement_split),
                "entailed_claims": int(args.entailed_claims),
                "train_sources": sorted({ex.source for ex in train}),
                "seconds": round(time.time() - started),
                "command": "python training/train.py " + " ".join(sys.argv[1:]),
            }
        )
    )
    calibrate(model, ca_bags, y_ca, calib, args)


def calibrate(
    model: Classifier, ca_bags: list[Bag], y_ca: np.ndarray, calib: list[Example], args: argparse.Namespace
) -> None:
    """Fit the document-level calibration, print the calibration-split report, write train_meta.json."""
    trained = json.loads((args.out / "train_meta.json").read_text())
    cache = args.out / "calibration_logits.npy"
    if args.calibrate_only and cache.exists() and len(np.load(cache)) == len(ca_bags):
        logits = np.load(cache)
    else:
        logits = predict_logits(model, ca_bags)
        np.save(cache, logits)
    n_windows = np.array([len(b.windows) for b in ca_bags], dtype=np.float64)
    params, untrusted_params = fit_calibrations(logits, n_windows, y_ca, calib)
    marked = np.array([ex.untrusted for ex in calib])[:, None]

    def curve(key: str) -> np.ndarray:
        return np.where(marked, [p[key] for p in untrusted_params], [p[key] for p in params])

    report(
        1 / (1 + np.exp(-(logits * curve("a") + curve("b") + np.log(n_windows)[:, None] * curve("c")))), calib
    )
    meta = {
        "labels": list(LABELS),
        "layers": args.layers,
        "max_tokens": MAX_TOKENS,
        "window_tokens": WINDOW_TOKENS,
        "untrusted_token_id": UNTRUSTED_TOKEN_ID,
        "calibration": {lab: p for lab, p in zip(LABELS, params, strict=True)},
        "calibration_untrusted": {lab: p for lab, p in zip(LABELS, untrusted_params, strict=True)},
        "calibration_prior": "each label's prevalence in the calibration split, in every length bucket",
        "train_rows": trained["train_rows"],
        **recipe(trained),
        "calibration_rows": len(calib),
        "train_sources": trained["train_sources"],
        "excluded_sources": sorted(args.exclude),
        "epochs": args.epochs,
        "lr": args.lr,
        "batch": args.batch,
        "seed": args.seed,
        "seconds": trained["seconds"],
        "command": trained["command"],
    }
    (args.out / "train_meta.json").write_text(json.dumps(meta, indent=2))
    print(json.dumps(meta["calibration"], indent=1), flush=True)


if __name__ == "__main__":
    main()
