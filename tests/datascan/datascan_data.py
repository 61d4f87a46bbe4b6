"""Slices of the shared data the data-scan tests read (a module, not conftest: importing
``conftest`` by name picks whichever package's conftest Python loaded first)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def presidio_rows(n: int) -> list[dict]:  # type: ignore[type-arg]
    path = DATA / "presidio_pii" / "synth_dataset_v2.json"
    if not path.exists():
        pytest.fail(f"the shared data folder {DATA} is missing (set STEWARD_SHARED_DATA)")
    return json.loads(path.read_text(encoding="utf-8"))[:n]  # type: ignore[no-any-return]
