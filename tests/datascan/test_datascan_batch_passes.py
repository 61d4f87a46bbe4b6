"""A batch is checked in two passes (the guard over every cell, then languages), with exactly
the results of checking each cell on its own."""

from __future__ import annotations

import pickle

from datascan_data import presidio_rows

from steward.assessment import Source
from steward.datascan.batch import UNDETERMINED, BatchConfig, Hit, RowCells, process_batch
from steward.detectors.language import guess_language
from steward.guard import Guard
from steward.policy import load_policy
from steward.policy.limits import TEXT_MAX_CHARS

ENGLISH = frozenset({"en"})


def _one_by_one(guard: Guard, text: str) -> tuple[list[tuple[str, int, int]], str | None, bool]:
    """``(finding spans, language, refused)`` of one cell, the guard and language identification
    each called directly on it."""
    if not text.strip():
        return [], None, False
    if len(text) > TEXT_MAX_CHARS:
        return [], None, True
    spans = [(f.type, f.start, f.end) for f in guard.findings(text, Source.INPUT)]
    guess = guess_language(text, ENGLISH)
    return spans, guess.language if guess is not None else UNDETERMINED, False


def test_two_passes_give_each_cell_what_checking_it_alone_gives() -> None:
    config = BatchConfig(load_policy("pii-mask"))
    guard = Guard(config.policy)
    texts = [r["full_text"] for r in presidio_rows(60)]
    texts += ["Bonjour, je voudrais réserver une table pour deux personnes ce soir.", "ok"]
    rows: list[RowCells] = [
        (n, (("text", t), ("dup", texts[0]), ("blank", " \n"))) for n, t in enumerate(texts, start=1)
    ]
    rows.append((len(rows) + 1, (("huge", "x" * (TEXT_MAX_CHARS + 1)),)))
    results = process_batch(config, rows)
    assert [r.line for r in results] == [line for line, _ in rows]
    for (_, cells), result in zip(rows, results, strict=True):
        assert [c.column for c in result.cells] == [col for col, _ in cells]
        for (_, text), cell in zip(cells, result.cells, strict=True):
            spans, language, refused = _one_by_one(guard, text)
            assert [(h.type, h.start, h.end) for h in cell.hits] == spans, text[:60]
            assert cell.language == language, text[:60]
            assert (cell.skipped is not None) == refused
    languages = {c.language for r in results for c in r.cells}
    assert {"en", "fr", None} <= languages  # the French row is told apart; blank cells have none
    assert any(h.type == "EMAIL" for r in results for c in r.cells for h in c.hits)


def test_without_languages_no_cell_gets_one() -> None:
    config = BatchConfig(load_policy("pii-mask"), language_share=0.0)
    rows: list[RowCells] = [(1, (("a", "Write to ann@example.org today, please."), ("b", "Merci beaucoup")))]
    [result] = process_batch(config, rows)
    assert [c.language for c in result.cells] == [None, None]
    assert [h.type for h in result.cells[0].hits] == ["EMAIL"]


def test_results_cross_processes_unchanged() -> None:
    """Workers send results to the driver by pickle (each class rebuilds itself from its fields)."""
    rows: list[RowCells] = [
        (
            7,
            (
                ("a", "Card 4111 1111 1111 1111, mail ann@example.org"),
                ("b", "Guten Morgen, wie geht es dir heute?"),
            ),
        ),
        (9, (("a", " "),)),
    ]
    results = process_batch(BatchConfig(load_policy("pii-mask")), rows)
    again = pickle.loads(pickle.dumps(results, pickle.HIGHEST_PROTOCOL))
    assert again == results
    assert [type(h) for h in again[0].cells[0].hits] == [Hit, Hit] and again[0].cells[0].hits[0].mask
