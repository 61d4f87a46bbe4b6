"""Group-swapped copies of ToxiGen's training statements (``training/group_swap.py``,
``training/data.py`` ``group_swapped``): the same sentence about another group, label kept, so
the content model cannot take the group a sentence names, or a frame seen once with it, as
evidence of hate (issue 14: "if you have never had middle eastern food, you are missing out"
scored HATE 0.997 after a hateful seed in the frame "if you have muslim parents you are…")."""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType

import pytest

from user_scripts import load_script, load_training_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def swap() -> ModuleType:
    return load_script("steward_training_group_swap", ROOT / "training" / "group_swap.py")


@pytest.fixture(scope="module")
def data() -> ModuleType:
    return load_training_data()


def test_a_noun_is_swapped_everywhere_for_another_groups_noun(swap: ModuleType) -> None:
    nouns = {term for terms in swap.NOUNS.values() for term in terms}
    text = "Muslims are my neighbours and muslims cook the best food"
    for seed in range(30):
        copies = swap.group_swaps(text, random.Random(seed), copies=2)
        assert len(copies) == 2 and copies[0] != copies[1]
        for copy in copies:
            head, _, rest = copy.partition(" are my neighbours and ")
            tail = rest.removesuffix(" cook the best food")
            assert head[0].isupper() and head.lower() == tail  # one group, casing of each place kept
            assert tail in nouns and tail not in swap.NOUNS["muslim"]


def test_an_adjective_is_swapped_only_before_a_word(swap: ModuleType) -> None:
    adjectives = {term for terms in swap.ADJECTIVES.values() for term in terms}
    for seed in range(30):
        (copy,) = swap.group_swaps(
            "if you have never had middle eastern food, you are missing out", random.Random(seed), 1
        )
        adjective = copy.removeprefix("if you have never had ").removesuffix(" food, you are missing out")
        assert adjective in adjectives and adjective not in swap.ADJECTIVES["middle_east"]
    assert swap.group_swaps("my friend is jewish", random.Random(0)) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("trans women are welcome here", " are welcome here"),  # the compound, not "women" inside it
        ("to honour african american people today", " people today"),
    ],
)
def test_compounds_are_swapped_whole(swap: ModuleType, text: str, kept: str) -> None:
    for seed in range(20):
        for copy in swap.group_swaps(text, random.Random(seed)):
            assert copy.endswith(kept)
            assert "trans" not in copy and "african american" not in copy


@pytest.mark.parametrize(
    "text", ["the weather is lovely today", "a black shirt and white shoes", "the blind spot"]
)
def test_a_text_naming_no_group_gets_no_copy(swap: ModuleType, text: str) -> None:
    assert swap.group_swaps(text, random.Random(0)) == []


def test_copies_come_from_toxigen_statements_keep_labels_and_skip_held_out_texts(data: ModuleType) -> None:
    example = data.Example
    hateful = example(
        "mexicans are all lazy", frozenset({"HATE"}), "toxigen", weight=3.0, kind="toxigen_hate"
    )
    rows = [
        hateful,
        example("muslims make great neighbours", frozenset(), "toxigen", weight=3.0, kind="toxigen_neutral"),
        example("jews live here\nmuslims too", frozenset(), "toxigen", kind="toxigen_neutral"),  # a thread
        example("muslims are welcome", frozenset(), "written_identity", kind="identity_benign"),
        example("mexicans are all lazy", frozenset({"HATE"}), "toxigen", kind="toxigen_hate", focus=(0, 5)),
    ]
    every_swap = {c for seed in range(200) for c in data.group_swaps(hateful.text, random.Random(seed), 2)}
    held = [example(text.upper(), frozenset({"HATE"}), "toxigen_test") for text in every_swap]
    copies = data.group_swapped(rows, held, random.Random(0))
    assert len(copies) == 2  # the neutral statement's two; every copy of the hateful one is held out
    for copy in copies:
        assert copy.labels == frozenset() and copy.source == "toxigen" and copy.weight == 1.0
        assert copy.kind == "toxigen_neutral_swapped" and "muslims" not in copy.text.lower()
        assert copy.text.endswith(" make great neighbours")
    assert data.group_swapped(rows, [], random.Random(0))[0].labels == frozenset({"HATE"})


def test_runs_without_the_option_record_no_swap(data: ModuleType) -> None:
    assert data.recipe({})["group_swap"] == 0
