"""PII spans: gold spans on evaluation rows, the guard's predicted spans, and how they match.

A gold span and a predicted span *match* when they have the same type and overlap by at
least half of the shorter of the two (:func:`spans_match`): boundaries differ between
annotators and tools ("Mr John Smith" against "John Smith"), and an exact-match rule would
count such a near miss twice, as a false positive and a false negative. The PII benchmark
(``benchmarks/pii_quality.py``) uses the same rule, from here.

Per type, *recall* is the share of gold spans matched by some prediction and *precision*
the share of predictions that match some gold span. A row's spans are taken as the whole
truth about it: a prediction matching no gold span of its type is a false positive.
Offsets are character offsets (Unicode code points, as Python indexes a string), end
exclusive, like the guard's findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from steward.assessment import Assessment, PolicyKind
from steward.errors import InputError
from steward.evaluate.metrics import f1_score

__all__ = [
    "Span",
    "SpanCounts",
    "count_spans",
    "parse_spans",
    "predicted_spans",
    "span_report",
    "spans_match",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A typed character range ``[start, end)``."""

    start: int
    end: int
    type: str


def spans_match(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two ``(start, end)`` ranges overlap by at least half the shorter one."""
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    return overlap > 0 and overlap * 2 >= min(a[1] - a[0], b[1] - b[0])


@dataclass(frozen=True, slots=True)
class SpanCounts:
    """Tallies for one type: gold spans, gold spans found, predictions, correct predictions."""

    gold: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(
            self.gold + other.gold,
            self.found + other.found,
            self.predicted + other.predicted,
            self.correct + other.correct,
        )

    def metrics(self) -> dict[str, Any]:
        """The counts with precision, recall and F1 (``None`` where a denominator is zero)."""
        precision = self.correct / self.predicted if self.predicted else None
        recall = self.found / self.gold if self.gold else None
        f1 = f1_score(precision, recall)
        return {
            "gold": self.gold,
            "found": self.found,
            "predicted": self.predicted,
            "correct": self.correct,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }


def count_spans(gold: Sequence[Span], predicted: Sequence[Span]) -> dict[str, SpanCounts]:
    """Per type, the tallies of one text's gold and predicted spans."""
    out: dict[str, SpanCounts] = {}
    for g in gold:
        found = any(p.type == g.type and spans_match((g.start, g.end), (p.start, p.end)) for p in predicted)
        out[g.type] = out.get(g.type, SpanCounts()) + SpanCounts(gold=1, found=int(found))
    for p in predicted:
        correct = any(g.type == p.type and spans_match((p.start, p.end), (g.start, g.end)) for g in gold)
        out[p.type] = out.get(p.type, SpanCounts()) + SpanCounts(predicted=1, correct=int(correct))
    return out


def span_report(pairs: Iterable[tuple[Sequence[Span], Sequence[Span]]]) -> dict[str, Any]:
    """``rows``, ``by_type`` (counts, precision, recall, F1) and micro-averaged ``overall``.

    ``pairs`` holds one ``(gold, predicted)`` per row that carries gold spans.
    """
    totals: dict[str, SpanCounts] = {}
    rows = 0
    for gold, predicted in pairs:
        rows += 1
        for name, counts in count_spans(gold, predicted).items():
            totals[name] = totals.get(name, SpanCounts()) + counts
    overall = sum(totals.values(), SpanCounts())
    return {
        "rows": rows,
        "by_type": {name: totals[name].metrics() for name in sorted(totals)},
        "overall": overall.metrics(),
    }


def predicted_spans(assessment: Assessment) -> tuple[Span, ...]:
    """The sensitive-information findings (PII entities and regexes) of an assessment, as spans.

    Every finding of an enabled rule counts, report-only ones too: this measures detection;
    what the guard did about it shows in the row's caught and masked figures.
    """
    return tuple(
        Span(f.start, f.end, f.type)
        for f in assessment.findings
        if f.policy is PolicyKind.SENSITIVE_INFORMATION
    )


def _offset(item: Mapping[str, Any], name: str, path: str, where: str) -> int:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f'"{path}.{name}" must be an integer, not {value!r}', field=where)
    if value < 0:
        raise InputError(f'"{path}.{name}" must be 0 or more, not {value}', field=where)
    return value


def parse_spans(value: object, text: str, where: str) -> tuple[Span, ...]:
    """Validate a row's ``spans``; raise :class:`InputError` naming ``where`` and the span.

    Each span is ``{"start": int, "end": int, "type": str}`` with ``0 <= start < end <=
    len(text)``. Type names are not checked here: a name the policy cannot predict is
    reported as a warning by the caller, not refused.
    """
    if not isinstance(value, list):
        raise InputError(
            f'"spans" must be a list of {{"start", "end", "type"}} objects, not {type(value).__name__}',
            field=where,
        )
    spans: list[Span] = []
    for i, item in enumerate(value):
        path = f"spans[{i}]"
        if not isinstance(item, dict):
            raise InputError(
                f'"{path}" must be an object with "start", "end" and "type", not {type(item).__name__}',
                field=where,
            )
        start = _offset(item, "start", path, where)
        end = _offset(item, "end", path, where)
        kind = item.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise InputError(f'"{path}.type" must be a non-empty string, not {kind!r}', field=where)
        if start >= end:
            raise InputError(f'"{path}": start {start} must be less than end {end}', field=where)
        if end > len(text):
            raise InputError(
                f'"{path}.end" {end} is beyond the end of the text ({len(text)} characters)', field=where
            )
        spans.append(Span(start, end, kind))
    return tuple(spans)
