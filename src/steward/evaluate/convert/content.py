"""Offensive-language tweets, implicit hate, and jailbroken model responses from the shared data."""

from __future__ import annotations

import hashlib
from pathlib import Path

from steward.evaluate.convert._io import Row, read_csv

__all__ = ["davidson", "gptfuzz", "toxigen", "toxigen_split"]

#: Davidson's majority class: 0 hate speech, 1 offensive language, 2 neither.
_DAVIDSON = {"0": (1, "HATE"), "1": (1, "INSULTS"), "2": (0, "BENIGN")}


def davidson(data: Path) -> list[Row]:
    """Davidson et al. tweets (MIT): hate → HATE 1, offensive → INSULTS 1, neither → 0."""
    rows: list[Row] = []
    for r in read_csv(data / "davidson_hate" / "labeled_data.csv"):
        label, category = _DAVIDSON[r["class"]]
        rows.append(
            {
                "text": r["tweet"],
                "label": label,
                "category": category,
                "kind": "tweet",
                "ref": f"labeled_data.csv:{r['']}",
            }
        )
    return rows


def gptfuzz(data: Path) -> list[Row]:
    """GPTFuzzer responses to jailbreak prompts (MIT): ``source=output``, label 1 = jailbroken.

    The source's own train/evaluate files become ``split`` train/test.
    """
    rows: list[Row] = []
    for split, name in (("train", "responses_labeled_train.csv"), ("test", "responses_labeled_evaluate.csv")):
        for i, r in enumerate(read_csv(data / "gptfuzz" / name)):
            if not r["Response"].strip():
                continue
            rows.append(
                {
                    "text": r["Response"],
                    "label": int(r["label"]),
                    "source": "output",
                    "kind": "model_response",
                    "split": split,
                    "ref": f"{name}:{i}",
                }
            )
    return rows


def toxigen_split(statement: str) -> str:
    """``train`` or ``test`` for a ToxiGen seed statement, fixed by a hash of its text.

    ToxiGen's 31,000 prompt lines repeat 660 statements, so a split by line would put the
    same statement on both sides; splitting by the statement itself (case- and
    space-blind) keeps every test statement unseen by anything trained on the train half,
    and the same statement listed under two groups lands on the same side.
    """
    key = " ".join(statement.lower().split()).encode("utf-8")
    return "test" if hashlib.sha256(key).digest()[0] % 2 else "train"


def toxigen(data: Path) -> list[Row]:
    """ToxiGen seed statements (MIT + CDLA-Permissive-2.0): hate → HATE 1, neutral → 0.

    One row per distinct statement and group, with ``group`` and a ``split`` by statement
    (:func:`toxigen_split`).
    """
    rows: list[Row] = []
    for i, r in enumerate(read_csv(data / "toxigen" / "statements_unique.csv")):
        hateful = r["label"] == "hate"
        rows.append(
            {
                "text": r["statement"],
                "label": int(hateful),
                "category": "HATE" if hateful else "BENIGN",
                "group": r["group"],
                "kind": "statement",
                "split": toxigen_split(r["statement"]),
                "ref": f"statements_unique.csv:{i}",
            }
        )
    return rows
