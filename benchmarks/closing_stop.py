"""Does a text's closing punctuation change the guard's decision? (issue 14)

    python benchmarks/closing_stop.py

Why: the tenth session's content model was found to read a missing closing full stop as a sign of
harm (ToxiGen's statements and Davidson's tweets, hateful ones included, end without one),
and chat messages often end without one. This prints, for held-out public texts and the
thirty benign statements written in docs/learned-detectors.md (a regression aid, not
evidence), how often the default policy blocks each text as it is, without its closing
punctuation, and with a full stop added; and whether adding the stop is better judgement or
only a threshold move: the HATE AUROC of ToxiGen's held-out neutral against hateful
statements both ways, and the hate caught at equal false-positive rates. About a minute.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from precision import (
    _alpaca,
    _davidson_neither,
    _dna_questions,
    _toxigen,
    _truthfulqa_questions,
    blocked_share,
)

from steward.evaluate.bias.metrics import roc_auc
from steward.guard import Guard
from steward.models.classifier import TextClassifier
from steward.policy import load_policy

DOCS = Path(__file__).resolve().parents[1] / "docs" / "learned-detectors.md"
_BULLET = re.compile(r"^\* (.+\.)$")


def written_statements() -> list[str]:
    """The thirty benign statements listed under the closing-full-stop section of the docs."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("### Tried and not shipped: a closing full stop") :]
    section = section[: section.index("\n### ", 1)]
    return [m.group(1) for line in section.splitlines() if (m := _BULLET.match(line))]


def bare(text: str) -> str:
    """``text`` without its closing punctuation."""
    return text.rstrip().rstrip("?.!").rstrip()


def with_stop(text: str) -> str:
    """``text`` with a full stop added when it ends in a letter or digit."""
    s = text.rstrip()
    return s + "." if s and s[-1].isalnum() else text


def main() -> None:
    guard = Guard(load_policy("default"))

    def blocked(texts: Sequence[str]) -> float:
        return blocked_share(guard, texts)

    rng = random.Random(7)
    sets: dict[str, list[str]] = {
        "written benign statements (30, written here)": written_statements(),
        "ToxiGen held-out neutral statements": _toxigen("neutral"),
        "ToxiGen held-out hateful statements": _toxigen("hate"),
        "Davidson 'neither' tweets (300, in-dist)": rng.sample(_davidson_neither(), 300),
        "Do-Not-Answer questions (taxonomy types)": [r.text for r in _dna_questions()],
        "TruthfulQA questions (first 300)": _truthfulqa_questions()[:300],
        "Alpaca instructions (300)": rng.sample(_alpaca(), 300),
    }
    forms: dict[str, Callable[[str], str]] = {"as they are": str, "bare": bare, "stop added": with_stop}
    print(
        f"{'texts (input, default policy: % blocked)':48s} {'n':>4s} " + " ".join(f"{k:>12s}" for k in forms)
    )
    for name, texts in sets.items():
        cells = [f"{100 * blocked([f(t) for t in texts]):11.1f}%" for f in forms.values()]
        print(f"{name:48s} {len(texts):4d} " + " ".join(cells), flush=True)

    model = TextClassifier.load()
    neutral, hateful = _toxigen("neutral"), _toxigen("hate")
    print("\nHATE score, ToxiGen held-out neutral vs hateful statements")
    for label, form in (("as they are", str), ("stop added", with_stop)):
        neg = np.array([s.labels["HATE"].score for s in model.score([form(t) for t in neutral])])
        pos = np.array([s.labels["HATE"].score for s in model.score([form(t) for t in hateful])])
        caught = ", ".join(
            f"{100 * fpr:.0f}% FPR: {100 * float(np.mean(pos > np.quantile(neg, 1 - fpr))):.0f}% caught"
            for fpr in (0.03, 0.05, 0.10)
        )
        auc = roc_auc([1] * len(pos) + [0] * len(neg), [*pos.tolist(), *neg.tolist()])
        print(f"  {label:12s} AUROC {auc:.3f}; {caught}")


if __name__ == "__main__":
    main()
