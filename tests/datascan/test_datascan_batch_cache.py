"""Short repeated cells are checked once per worker, with exactly the results a fresh check gives."""

from __future__ import annotations

import pytest

from steward.datascan import batch
from steward.datascan.batch import CACHE_TEXT_MAX, BatchConfig, check_cell, process_batch
from steward.guard import Guard
from steward.policy import load_policy


def test_repeated_short_cells_are_checked_once_with_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    config = BatchConfig(load_policy("pii-mask"))
    long_text = "Write to ann@example.org about the meeting. " * 8
    assert len(long_text) > CACHE_TEXT_MAX
    rows = [
        (n, (("email", "ann@example.org"), ("sex", "Female"), ("note", long_text), ("blank", "  ")))
        for n in range(1, 6)
    ]
    guard = Guard(config.policy)
    fresh = [tuple(check_cell(guard, col, text) for col, text in cells) for _, cells in rows]
    checked: list[str] = []
    real = batch.check_texts

    def counting(guard, texts, *, language_share):  # type: ignore[no-untyped-def]
        checked.extend(texts)
        return real(guard, texts, language_share=language_share)

    monkeypatch.setattr(batch, "check_texts", counting)
    batch._GUARDS.clear()
    results = process_batch(config, rows)
    assert [r.cells for r in results] == fresh  # hits, spans, languages: as checked afresh
    assert results[3].cells[0].hits[0].type == "EMAIL" and results[3].cells[0].column == "email"
    # The short values once each; the long text every time.
    assert checked.count("ann@example.org") == 1 and checked.count("Female") == 1
    assert checked.count(long_text) == 5
    # Without language identification the result differs (no language): another entry.
    process_batch(BatchConfig(config.policy, language_share=0.0), rows[:1])
    assert checked.count("ann@example.org") == 2  # another language share is another key


def test_another_policy_does_not_reuse_the_older_results() -> None:
    from steward.policy import parse_policy

    row = [(1, (("sex", "Female"),))]
    assert process_batch(BatchConfig(load_policy("pii-mask")), row)[0].cells[0].hits == ()
    flagged = parse_policy(
        {
            "name": "f",
            "sensitive_information": {"regexes": [{"name": "F", "pattern": "Female", "action": "ANONYMIZE"}]},
        }
    )
    [cell] = process_batch(BatchConfig(flagged), row)[0].cells
    assert [h.type for h in cell.hits] == ["F"]
