"""The held-out rule, checked on the data itself: no text a benchmark reports as held out was
trained or calibrated on, and nothing from a non-commercial set reaches training.

Why a test: the rule lives in two places (``training/data.py`` decides what trains,
``benchmarks/quality.py`` labels its slices) and drifted once — AdvBench was reported as held
out while it trained the model, and HaluEval's user queries (Alpaca instructions) trained it
while Alpaca was the held-out benign set.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Texts this short ("yes", "OMG", a number) recur across unrelated sources by chance.
MIN_CHARS = 20


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def training() -> tuple[ModuleType, set[str]]:
    data = _load("steward_training_data", ROOT / "training" / "data.py")
    if not data.DATA.is_dir():
        pytest.fail(f"the shared data folder {data.DATA} is missing (set STEWARD_SHARED_DATA)")
    train, calib, _ = data.split_rows(data.load_examples())
    return data, {data.text_key(ex.text) for ex in [*train, *calib]}


def test_held_out_slices_of_the_quality_benchmark_share_no_text_with_training(
    training: tuple[ModuleType, set[str]],
) -> None:
    data, seen = training
    quality = _load("steward_quality_benchmark", ROOT / "benchmarks" / "quality.py")
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
