"""Slices of the shared data the data-scan tests read (a module, not conftest: importing
``conftest`` by name picks whichever package's conftest Python loaded first)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from steward.datascan import engines

#: The per-batch function as the engines have it before any test replaces it.
REAL_BATCH = engines.process_batch
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def presidio_rows(n: int) -> list[dict]:  # type: ignore[type-arg]
    path = DATA / "presidio_pii" / "synth_dataset_v2.json"
    if not path.exists():
        pytest.fail(f"the shared data folder {DATA} is missing (set STEWARD_SHARED_DATA)")
    return json.loads(path.read_text(encoding="utf-8"))[:n]  # type: ignore[no-any-return]


def count_batches(monkeypatch: pytest.MonkeyPatch, *, die_after: int | None = None) -> list[int]:
    """Replace the per-batch function with one that records each batch's size in the returned
    list; with ``die_after``, the call after that many batches raises KeyboardInterrupt, as a
    user's Ctrl-C would. :func:`restore_batches` puts the real one back."""
    calls: list[int] = []

    def counted(config, rows):  # type: ignore[no-untyped-def]
        if die_after is not None and len(calls) == die_after:
            raise KeyboardInterrupt  # the user pressed Ctrl-C
        calls.append(len(rows))
        return REAL_BATCH(config, rows)

    monkeypatch.setattr(engines, "process_batch", counted)
    return calls


def restore_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "process_batch", REAL_BATCH)
