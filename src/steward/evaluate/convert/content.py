"""Offensive-language tweets and jailbroken model responses from the shared data."""

from __future__ import annotations

from pathlib import Path

from steward.evaluate.convert._io import Row, read_csv

__all__ = ["davidson", "gptfuzz"]

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
