"""The held-out rule, checked on the data itself: no text a benchmark reports as held out was
trained or calibrated on, and nothing from a non-commercial set reaches training.

Why a test: the rule lives in two places (``training/data.py`` decides what trains,
``benchmarks/quality.py`` labels its slices) and drifted once — AdvBench was reported as held
out while it trained the model, and HaluEval's user queries (Alpaca instructions) trained it
while Alpaca was the held-out benign set.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import ModuleType

import pytest

from user_scripts import load_script, load_training_data

ROOT = Path(__file__).resolve().parents[2]
#: Texts this short ("yes", "OMG", a number) recur across unrelated sources by chance.
MIN_CHARS = 20


@pytest.fixture(scope="module")
def training() -> tuple[ModuleType, set[str]]:
    data = load_training_data()
    # With the optional rows too (they come after the others and leave their split alone), so
    # what a trial adds is checked as well as what the shipped recipe trains on.
    train, calib, held = data.split_rows(data.load_examples(entailed_claims=True))
    return data, {data.text_key(ex.text) for ex in [*train, *calib, *_augmented(data, train, held)]}


def _augmented(data: ModuleType, train: list, held: list) -> list:
    """The copies training/train.py can add to the training split (surface variants and
    courtesy-wrapped requests): they are training text for every leak check too."""
    variants = data.surface_variants(train, held, random.Random(2))
    wrapped = data.courtesy_wrapped(train, held, random.Random(3))
    assert variants, "no surface variants were made"
    assert wrapped, "no courtesy-wrapped copies were made"
    return [*variants, *wrapped]


def test_held_out_slices_of_the_quality_benchmark_share_no_text_with_training(
    training: tuple[ModuleType, set[str]],
) -> None:
    data, seen = training
    quality = load_script("steward_quality_benchmark", ROOT / "benchmarks" / "quality.py")
    parts = quality.load_parts(1.0)
    checked = 0
    for piece in quality.SLICES:
        if not piece.held_out:
            continue
        for part in piece.parts:
            rows = [r for r in parts[part] if len(r.text) >= MIN_CHARS]
            checked += len(rows)
            leaked = [r.text for r in rows if data.text_key(r.text) in seen]
            assert not leaked, (piece.name, part, leaked[:3])
    assert checked > 2000


def test_no_alpaca_instruction_is_a_training_row(training: tuple[ModuleType, set[str]]) -> None:
    data, seen = training
    alpaca = json.loads((data.DATA / "alpaca" / "alpaca_noinput_instructions.json").read_text())
    instructions = {data.text_key(str(r["instruction"])) for r in alpaca}
    assert len(instructions) > 30_000
    overlap = sorted(t for t in instructions & seen if len(t) >= MIN_CHARS)
    assert not overlap, overlap[:5]


def _sentences(text: str) -> set[str]:
    """Sentence-sized pieces of a text, compared case- and space-blind."""
    import re

    return {
        " ".join(piece.lower().split())
        for piece in re.split(r"(?<=[.!?])\s+|\n+", text)
        if len(piece.strip()) >= 40
    }


def test_held_out_sources_of_the_precision_benchmark_share_no_text_with_training() -> None:
    """Every benign and harmful source the precision benchmark reports as held out shares
    (almost) no sentence of 40 characters or more with any training or calibration text, so
    its figures come from a model that never read that source (leave-one-source-out, checked
    on the text, not on names). A source that trained the model shares most of its sentences;
    the 2% allowance is for boilerplate two unrelated sources both quote ("Is there anything
    else I can help you with?" is in GPTFuzz's and Do-Not-Answer's chatbot replies alike).
    """
    data = load_training_data()
    train, calib, held = data.split_rows(data.load_examples(entailed_claims=True))
    training_sources = {ex.source for ex in [*train, *calib]}
    seen: set[str] = set()
    for ex in [*train, *calib, *_augmented(data, train, held)]:
        seen |= _sentences(ex.text)
    precision = load_script("steward_precision_benchmark", ROOT / "benchmarks" / "precision.py")
    checked: dict[str, int] = {}
    texts: dict[str, list[str]] = {}
    for corpus in precision.CORPORA:
        if not set(corpus.trained_as) & training_sources:  # in-dist ones are reported as such
            material = corpus.read()
            texts[corpus.name] = material[:: max(1, len(material) // 300)]
    for harmful in precision.HARMFUL:
        if not set(harmful.trained_as) & training_sources:
            rows = harmful.rows()
            texts[harmful.name] = [r.text for r in rows[:: max(1, len(rows) // 300)]]
    for name, sample in texts.items():
        sentences = [s for text in sample for s in _sentences(text)]
        leaked = sorted({s for s in sentences if s in seen})
        checked[name] = len(sentences)
        assert len(leaked) <= 0.02 * len(sentences), (name, len(leaked), len(sentences), leaked[:3])
    assert sum(checked.values()) > 5000, checked
