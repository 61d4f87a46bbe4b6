"""The 5×5 risk heat map: severity down the side, likelihood along the bottom, risk ids in cells.

Rendered as plain text for terminals and as a :class:`~steward.govern.documents.Table` whose
cells carry their rating band, for Markdown and (coloured) HTML.
"""

from __future__ import annotations

from collections.abc import Sequence

from steward.govern.documents import Table
from steward.govern.risk import Risk, rating_for, score_of

__all__ = ["heat_grid", "heatmap_table", "heatmap_text"]

_SCALE = range(1, 6)


def heat_grid(risks: Sequence[Risk], *, residual: bool = False) -> dict[tuple[int, int], list[str]]:
    """Risk ids per (severity, likelihood) cell; residual uses the post-treatment scores."""
    grid: dict[tuple[int, int], list[str]] = {(s, lk): [] for s in _SCALE for lk in _SCALE}
    for risk in risks:
        if residual:
            if risk.residual_severity is None or risk.residual_likelihood is None:
                continue
            cell = (risk.residual_severity, risk.residual_likelihood)
        else:
            cell = (risk.severity, risk.likelihood)
        grid[cell].append(risk.id)
    return grid


def _title(residual: bool) -> str:
    return "Residual risk (after treatment)" if residual else "Inherent risk (before treatment)"


def heatmap_text(risks: Sequence[Risk], *, residual: bool = False) -> str:
    """A plain-text heat map; empty cells show the band's first letter in lower case."""
    grid = heat_grid(risks, residual=residual)
    width = max(6, *(len(",".join(ids)) for ids in grid.values()))
    lines = [f"{_title(residual)}: severity × likelihood", "severity"]
    for sev in reversed(_SCALE):
        cells = []
        for lk in _SCALE:
            ids = ",".join(grid[(sev, lk)])
            cells.append((ids or rating_for(score_of(sev, lk)).value[0]).center(width))
        lines.append(f"   {sev} |" + "|".join(cells) + "|")
    lines.append("     +" + "+".join("-" * width for _ in _SCALE) + "+")
    lines.append("      " + " ".join(str(lk).center(width) for lk in _SCALE) + "  likelihood")
    lines.append("bands: l = low (1-4), m = medium (5-9), h = high (10-16), c = critical (20-25)")
    return "\n".join(lines)


def heatmap_table(risks: Sequence[Risk], *, residual: bool = False) -> Table:
    """The heat map as a table: one row per severity (5 at the top), one column per likelihood."""
    grid = heat_grid(risks, residual=residual)
    rows, styles = [], []
    for sev in reversed(_SCALE):
        row, style = [f"severity {sev}"], [""]
        for lk in _SCALE:
            row.append(", ".join(grid[(sev, lk)]) or "·")
            style.append(rating_for(score_of(sev, lk)).value)
        rows.append(row)
        styles.append(style)
    columns = ["", *(f"likelihood {lk}" for lk in _SCALE)]
    return Table(columns, rows, caption=_title(residual), styles=styles)
