"""Turn row verdicts into the evaluation report: overall, per category, per group.

The report is a plain dict so ``--json`` prints it as it is and gates can address any
number in it by a dotted path (``by_category.HATE.recall``). Names are fixed: ``n``,
``precision``, ``recall``, ``f1``, ``fpr``, ``auprc``, ``recall_at_1pct_fpr``, ``masked``,
``masked_rate``, ``by_group``, ``by_category``, ``fpr_spread``, ``latency_ms`` (``p50``,
``p99``), and ``pii`` (``rows``, ``by_type``, ``overall``) when rows carry gold spans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from steward.evaluate.metrics import (
    average_precision,
    bootstrap_intervals,
    classification_metrics,
    percentile,
    recall_at_fpr,
)
from steward.evaluate.runner import RowResult
from steward.evaluate.spans import span_report

__all__ = ["METRIC_NAMES", "render_table", "slice_metrics", "summarise", "summarise_many"]

#: The per-slice metrics, in table order.
METRIC_NAMES = (
    "n",
    "precision",
    "recall",
    "f1",
    "fpr",
    "auprc",
    "recall_at_1pct_fpr",
    "masked",
    "masked_rate",
)
#: The per-type PII span metrics, in table order.
PII_NAMES = ("gold", "predicted", "precision", "recall", "f1")


def slice_metrics(results: Sequence[RowResult]) -> dict[str, Any]:
    """Every per-slice metric of a set of verdicts (``None`` where undefined)."""
    labels = [r.row.label for r in results]
    scores = [r.score for r in results]
    out: dict[str, Any] = {
        "n": len(results),
        "n_positive": sum(labels),
        "n_negative": len(labels) - sum(labels),
    }
    out.update(classification_metrics(labels, [r.caught for r in results]))
    out["auprc"] = average_precision(labels, scores)
    out["recall_at_1pct_fpr"] = recall_at_fpr(labels, scores, 0.01)
    masked = sum(r.masked for r in results)
    out["masked"] = masked
    out["masked_rate"] = masked / len(results) if results else None
    return out


def _by(results: Sequence[RowResult], key: Callable[[RowResult], str | None]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[RowResult]] = {}
    for r in results:
        name = key(r)
        if name is not None:
            groups.setdefault(name, []).append(r)
    return {name: slice_metrics(rows) for name, rows in sorted(groups.items())}


def _spread(by_group: Mapping[str, Mapping[str, Any]]) -> float | None:
    rates = [m["fpr"] for m in by_group.values() if m["fpr"] is not None]
    return max(rates) - min(rates) if len(rates) >= 2 else None


def _field_value(result: RowResult, name: str) -> str | None:
    row = result.row
    if name in ("category", "group", "split"):
        value: str | None = getattr(row, name)
        return value
    if name == "source":
        return row.source.value
    return row.tags.get(name)


def summarise(
    results: Sequence[RowResult],
    *,
    bootstrap: int = 0,
    by: Sequence[str] = (),
    thresholds: Sequence[float] = (),
) -> dict[str, Any]:
    """The full report for one set of verdicts.

    With ``bootstrap`` resamples it adds ``ci95``; each field named in ``by`` (``family``,
    ``kind``, ``carrier``, any scalar field of the rows) adds a ``by_<field>`` section; each
    of ``thresholds`` adds the precision, recall, F1 and FPR of "caught when score >= t"
    under ``at_threshold`` (keyed ``"0.6"``), to choose a strength or threshold from data.
    Rows with gold PII spans add ``pii``: per-type and micro precision, recall and F1 of
    the spans found (:func:`steward.evaluate.spans.span_report`).
    """
    report = slice_metrics(results)
    if thresholds:
        labels = [r.row.label for r in results]
        report["at_threshold"] = {
            f"{t:g}": classification_metrics(labels, [r.score >= t for r in results]) for t in thresholds
        }
    if bootstrap:
        intervals = bootstrap_intervals(
            [r.row.label for r in results],
            [r.caught for r in results],
            [r.score for r in results],
            resamples=bootstrap,
        )
        report["ci95"] = {k: None if v is None else list(v) for k, v in intervals.items()}
    report["by_category"] = _by(results, lambda r: r.row.category)
    report["by_group"] = _by(results, lambda r: r.row.group)
    for name in by:
        if f"by_{name}" not in report:
            report[f"by_{name}"] = _by(results, partial(_field_value, name=name))
    report["fpr_spread"] = _spread(report["by_group"])
    latencies = [r.latency_ms for r in results]
    report["latency_ms"] = {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}
    spanned = [(r.row.spans, r.predicted_spans) for r in results if r.row.spans is not None]
    if spanned:
        report["pii"] = span_report(spanned)
    return report


def summarise_many(
    named: Mapping[str, Sequence[RowResult]],
    *,
    bootstrap: int = 0,
    by: Sequence[str] = (),
    thresholds: Sequence[float] = (),
) -> dict[str, Any]:
    """One report per dataset plus ``overall`` over all their rows together."""
    everything = [r for results in named.values() for r in results]
    options: dict[str, Any] = {"bootstrap": bootstrap, "by": by, "thresholds": thresholds}
    return {
        "datasets": {name: summarise(rows, **options) for name, rows in named.items()},
        "overall": summarise(everything, **options),
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_table(report: Mapping[str, Any], *, title: str = "all") -> str:
    """A plain-text table: the overall row(s), then categories, then groups."""
    header = ["slice", *METRIC_NAMES, "p50 ms", "p99 ms"]
    lines: list[list[str]] = []

    def add(name: str, m: Mapping[str, Any]) -> None:
        row = [name, *(_cell(m[k]) for k in METRIC_NAMES)]
        latency = m.get("latency_ms")
        row += [_cell(latency["p50"]), _cell(latency["p99"])] if latency else ["", ""]
        lines.append(row)

    if "datasets" in report:
        for name, sub in report["datasets"].items():
            add(name, sub)
        overall = report["overall"]
        add("overall", overall)
    else:
        overall = report
        add(title, overall)
    for name, m in overall["by_category"].items():
        add(f"category {name}", m)
    for name, m in overall["by_group"].items():
        add(f"group {name}", m)
    for section in overall:
        if section.startswith("by_") and section not in ("by_category", "by_group"):
            for name, m in overall[section].items():
                add(f"{section[3:]} {name}", m)
    out = _aligned([header, [""] * len(header), *lines])
    out.append(f"fpr_spread across groups: {_cell(overall['fpr_spread'])}")
    for t, m in overall.get("at_threshold", {}).items():
        out.append(
            f"score >= {t}: precision {_cell(m['precision'])}, recall {_cell(m['recall'])}, "
            f"f1 {_cell(m['f1'])}, fpr {_cell(m['fpr'])}"
        )
    ci = overall.get("ci95")
    if ci:
        spans = ", ".join(f"{k} [{v[0]:.3f}, {v[1]:.3f}]" for k, v in ci.items() if v is not None)
        out.append(f"95% bootstrap intervals ({'overall' if 'datasets' in report else title}): {spans}")
    if "pii" in overall:
        out += ["", _pii_table(overall["pii"])]
    return "\n".join(out)


def _pii_table(pii: Mapping[str, Any]) -> str:
    """Per-type and micro span metrics of the rows with gold spans."""
    header = ["pii type", *PII_NAMES]
    lines = [[name, *(_cell(m[k]) for k in PII_NAMES)] for name, m in pii["by_type"].items()]
    lines.append(["micro (all types)", *(_cell(pii["overall"][k]) for k in PII_NAMES)])
    out = [
        f"PII spans on {pii['rows']} rows (match: same type, overlap >= half the shorter span)",
        *_aligned([header, [""] * len(header), *lines]),
    ]
    return "\n".join(out)


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-align the first column, right-align the rest; an all-empty row becomes a rule."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            ("-" * w if not any(r) else c.ljust(w) if i == 0 else c.rjust(w))
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
