"""Fixtures for the data-set scan and scrub tests: slices of the shared data (``run``, the CLI, is test-wide)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datascan_data import DATA, presidio_rows


@pytest.fixture
def presidio_jsonl(tmp_path: Path) -> Path:
    """The first 120 sentences of presidio-research's synthetic PII set (MIT), one object a line."""
    path = tmp_path / "presidio.jsonl"
    rows = presidio_rows(120)
    path.write_text("".join(json.dumps({"id": i, "text": r["full_text"]}) + "\n" for i, r in enumerate(rows)))
    return path


@pytest.fixture
def compas_csv(tmp_path: Path) -> Path:
    """The header and first 400 rows of ProPublica's COMPAS file."""
    src = DATA / "compas" / "compas-scores-two-years.csv"
    if not src.exists():
        pytest.fail(f"the shared data folder {DATA} is missing (set STEWARD_SHARED_DATA)")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)[:401]
    path = tmp_path / "compas.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path
