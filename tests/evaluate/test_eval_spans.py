"""PII gold spans: the matching rule, per-type tallies, and per-type P/R/F1 from the real guard."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from steward.evaluate.dataset import ignored_fields, load_dataset
from steward.evaluate.report import render_table, summarise
from steward.evaluate.runner import run_guard
from steward.evaluate.spans import Span, count_spans, span_report, spans_match
from steward.guard import Guard
from steward.policy import load_policy
from user_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]


def test_spans_match_needs_half_the_shorter_span() -> None:
    assert spans_match((0, 4), (2, 10))  # overlap 2 = half of the shorter (4)
    assert not spans_match((0, 5), (3, 10))  # overlap 2 < 2.5
    assert spans_match((10, 12), (0, 100))  # a short span inside a long one
    assert not spans_match((0, 5), (5, 9))  # touching is not overlapping
    assert spans_match((3, 8), (3, 8))


def test_count_spans_tallies_gold_found_predicted_correct_per_type() -> None:
    gold = [Span(0, 10, "NAME"), Span(20, 30, "EMAIL"), Span(40, 45, "PHONE")]
    predicted = [
        Span(2, 10, "NAME"),  # matches the NAME
        Span(20, 30, "PHONE"),  # right place, wrong type: matches nothing
        Span(40, 43, "PHONE"),  # 3 of 5 characters: matches
        Span(41, 45, "PHONE"),  # a second prediction on the same gold span: also correct
    ]
    counts = count_spans(gold, predicted)
    assert {k: (c.gold, c.found, c.predicted, c.correct) for k, c in counts.items()} == {
        "NAME": (1, 1, 1, 1),
        "EMAIL": (1, 0, 0, 0),
        "PHONE": (1, 1, 3, 2),
    }
    report = span_report([(gold, predicted), ([], [Span(0, 3, "NAME")])])
    assert report["rows"] == 2
    name = report["by_type"]["NAME"]
    assert (name["precision"], name["recall"], name["f1"]) == (0.5, 1.0, 2 / 3)
    assert report["by_type"]["EMAIL"]["precision"] is None and report["by_type"]["EMAIL"]["recall"] == 0.0
    overall = report["overall"]  # gold 3, found 2, predicted 5, correct 3
    assert (overall["precision"], overall["recall"]) == (3 / 5, 2 / 3)
    assert overall["f1"] == pytest.approx(2 * 0.6 * (2 / 3) / (0.6 + 2 / 3))


ROWS = [
    # both found exactly
    {
        "text": "Email jane.doe@example.com or call +1 415 555 0132 today.",
        "spans": [{"start": 6, "end": 26, "type": "EMAIL"}, {"start": 35, "end": 50, "type": "PHONE"}],
    },
    # gold says the "bob" is a NAME; the guard finds an EMAIL there: a miss and a false positive
    {
        "text": "Please send it to bob@example.org, thanks.",
        "spans": [{"start": 18, "end": 21, "type": "NAME"}],
    },
    # no PII, none found
    {"text": "The weather is nice today.", "spans": []},
    # the phone is found; EMPLOYEE_ID is no type Steward knows: scored, reported, missed
    {
        "text": "Call me on 020 7946 0958.",
        "spans": [{"start": 11, "end": 24, "type": "PHONE"}, {"start": 0, "end": 4, "type": "EMPLOYEE_ID"}],
    },
]


@pytest.fixture(scope="module")
def default_guard() -> Guard:
    return Guard(load_policy("default"))


def test_span_rows_get_per_type_precision_recall_f1(default_guard: Guard, tmp_path: Path) -> None:
    path = tmp_path / "pii.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    rows = load_dataset(path)
    assert [r.label for r in rows] == [1, 1, 0, 1]  # no label: 1 with any span, else 0
    results = run_guard(default_guard, rows)
    report = summarise(results)
    pii = report["pii"]
    assert pii["rows"] == 4
    by_type = pii["by_type"]
    # EMAIL: 1 gold found; 2 predicted, 1 correct
    assert (by_type["EMAIL"]["precision"], by_type["EMAIL"]["recall"]) == (0.5, 1.0)
    assert by_type["EMAIL"]["f1"] == pytest.approx(2 / 3)
    assert (by_type["PHONE"]["precision"], by_type["PHONE"]["recall"], by_type["PHONE"]["f1"]) == (
        1.0,
        1.0,
        1.0,
    )
    assert by_type["NAME"]["recall"] == 0.0 and by_type["NAME"]["precision"] is None
    assert by_type["EMPLOYEE_ID"]["gold"] == 1 and by_type["EMPLOYEE_ID"]["recall"] == 0.0
    # micro: gold 5, found 3, predicted 4, correct 3
    overall = pii["overall"]
    assert (overall["gold"], overall["found"], overall["predicted"], overall["correct"]) == (5, 3, 4, 3)
    assert (overall["precision"], overall["recall"]) == (0.75, 0.6)
    assert overall["f1"] == pytest.approx(2 / 3)
    # masking is not blocking: with the default "caught = blocked", the rows count as masked
    assert report["recall"] == 0.0 and report["masked"] == 3
    table = render_table(report, title="pii")
    assert "PII spans on 4 rows" in table
    assert [line.split()[:6] for line in table.splitlines() if line.startswith("EMAIL")] == [
        ["EMAIL", "1", "2", "0.500", "1.000", "0.667"]
    ]
    (micro,) = [line.split() for line in table.splitlines() if line.startswith("micro")]
    assert micro[-5:] == ["5", "4", "0.750", "0.600", "0.667"]
    (warning,) = ignored_fields(rows, default_guard.policy, name="pii.jsonl")
    assert "EMPLOYEE_ID (1 row)" in warning and "pii.jsonl" in warning and '"spans"' in warning


def test_the_pii_benchmark_uses_the_shared_matcher() -> None:
    module = load_script("pii_quality_bench", ROOT / "benchmarks" / "pii_quality.py")
    assert inspect.signature(module.score).parameters["matches"].default is spans_match
