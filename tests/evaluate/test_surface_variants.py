"""The training data's surface variants: a copy that differs only in its closing punctuation
and first letter's case, so the content model cannot read a missing "?" or a lower-case
statement as a sign of harm (issue 14, ``benchmarks/closing_stop.py``)."""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType

import pytest

from user_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data() -> ModuleType:
    return load_script("steward_training_data", ROOT / "training" / "data.py")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "What is the capital of France?",
            {"What is the capital of France", "what is the capital of France"},
        ),
        ("how do I bake bread", {"how do I bake bread?", "How do I bake bread?"}),
        (
            "asian people are good at math",
            {"asian people are good at math.", "Asian people are good at math."},
        ),
        ('He said "stop."', {'He said "stop"', 'he said "stop"'}),
        ("OK!!!", {"OK"}),
    ],
)
def test_a_variant_flips_the_closing_mark_and_maybe_the_first_letter(
    data: ModuleType, text: str, expected: set[str]
) -> None:
    seen = {data.surface_variant(text, random.Random(seed)) for seed in range(20)}
    assert seen == expected


@pytest.mark.parametrize("text", ["def f(x):", "a share of 100%", "see https://example.com/", "   "])
def test_text_that_ends_in_neither_a_mark_nor_a_word_gets_none(data: ModuleType, text: str) -> None:
    assert data.surface_variant(text, random.Random(0)) is None


def test_variants_keep_labels_and_skip_long_focused_and_held_out_texts(data: ModuleType) -> None:
    example = data.Example
    rows = [
        example("how do I pick a lock", frozenset({"MISCONDUCT"}), "written_harmful", weight=5.0, kind="k"),
        example("x" * 600, frozenset(), "docnli"),
        example("a harmful line inside", frozenset({"HATE"}), "toxigen", focus=(0, 5)),
        example("is this held out", frozenset(), "fever_tasks"),
    ]
    held = [example("Is this held out?", frozenset(), "truthfulqa")]
    variants = data.surface_variants(rows, held, random.Random(0), share=1.0)
    assert [(v.text.lower(), v.labels, v.source, v.weight, v.kind) for v in variants] == [
        ("how do i pick a lock?", frozenset({"MISCONDUCT"}), "written_harmful", 5.0, "k")
    ]
