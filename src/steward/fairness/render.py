"""Plain-text tables of a fairness report and of a mitigation's before and after, for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from steward.fairness.audit import GROUP_METRICS, SUMMARY_METRICS, Estimate, FairnessReport
from steward.fairness.mitigate import MitigationResult

__all__ = ["render_mitigation", "render_report"]

_SHORT = {
    "selection_rate": "selection",
    "tpr": "TPR",
    "fpr": "FPR",
    "precision": "precision",
    "mean_score": "mean score",
    "observed_rate": "observed",
    "calibration_gap": "calib. gap",
}


def _cell(est: Estimate, *, intervals: bool) -> str:
    if est.value is None:
        return "inestimable"
    if intervals and est.low is not None and est.high is not None:
        return f"{est.value:.3f} [{est.low:.3f}, {est.high:.3f}]"
    return f"{est.value:.3f}"


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render_report(report: FairnessReport) -> str:
    """Per attribute: a row per group with its size and rates, then the ratios and the four-fifths verdict."""
    intervals = report.resamples > 0
    shown = [m for m in GROUP_METRICS if any(m in g.metrics for g in report.groups)]
    ci = f", {report.confidence:.0%} bootstrap intervals ({report.resamples} resamples, seed {report.seed})"
    lines = [
        f"{report.n} rows; groups under {report.min_group_size} rows, and rates with under "
        f"{report.min_denominator} rows in their denominator, are inestimable" + (ci if intervals else ""),
        "overall: " + ", ".join(f"{k} {_number(v)}" for k, v in report.overall.items()),
    ]
    for summary in report.attributes:
        lines.append("")
        lines.append(f"== {summary.attribute}")
        rows = [["group", "n", *(_SHORT[m] for m in shown)]]
        for group in report.groups:
            if group.attribute != summary.attribute:
                continue
            rows.append(
                [group.group, str(group.n), *(_cell(group.metrics[m], intervals=intervals) for m in shown)]
            )
        lines += _aligned(rows)
        for name in SUMMARY_METRICS:
            lines.append(f"  {name.replace('_', ' ')}: {_cell(summary.metrics[name], intervals=intervals)}")
        verdict = summary.four_fifths
        if verdict != "inestimable":
            verdict = verdict.upper() + (
                " (conclusive)" if summary.four_fifths_conclusive else " (interval spans 0.8)"
            )
        lines.append(f"  four-fifths rule: {verdict}")
        if summary.excluded:
            lines.append(f"  inestimable, left out of ratios: {', '.join(summary.excluded)}")
    return "\n".join(lines) + "\n"


def render_mitigation(result: MitigationResult) -> str:
    """Before and after, one figure per line, so the trade-off is read at a glance."""
    rows = [["figure", "before", "after", "change"]]
    for key, pair in result.to_dict()["comparison"].items():
        before, after = pair["before"], pair["after"]
        change = f"{after - before:+.3f}" if before is not None and after is not None else ""
        rows.append([key, _number(before), _number(after), change])
    head = f"{result.method} ({result.constraint}) over {result.settings['estimator']}, {len(result.features)} features"
    lines = [head, *_aligned(rows)]
    if result.needs_attribute_at_decision:
        lines.append(
            "note: the mitigated decisions use the protected attribute at decision time (a threshold per group)"
        )
    return "\n".join(lines) + "\n"
