"""Charts as SVG drawn on the server: no charting library, no script, nothing fetched.

Why server-side: the console must work offline under a CSP without inline scripts, and a
chart is a few dozen SVG elements. Every chart has a title and a text description for
screen readers, and series differ by dash pattern and legend text, not by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Series", "bar_chart", "level_chart", "line_chart"]

_W, _H = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 12, 30
_DASHES = ("", "6 4", "2 3", "10 3 2 3")
_STROKES = ("#1a4f8b", "#8a3b00", "#3d5c1f", "#5b2a86")


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its name (shown in the legend) and a value per window (None: no data)."""

    name: str
    values: Sequence[float | None]


def _x(i: int, n: int) -> float:
    span = _W - _LEFT - _RIGHT
    return _LEFT + (span * i / (n - 1) if n > 1 else span / 2)


def _y(value: float, y_max: float) -> float:
    span = _H - _TOP - _BOTTOM
    return _TOP + span * (1 - (value / y_max if y_max else 0))


def _anchor(i: int, n: int) -> str:
    """Edge labels grow inwards, so the first and last are not cut off."""
    return "start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle")


def _frame(
    chart_id: str, title: str, description: str, labels: Sequence[str], y_max: float, fmt: str
) -> list[str]:
    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    for step in range(5):
        value = y_max * step / 4
        y = _y(value, y_max)
        label = fmt.format(value)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c8c8c8" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#333">{escape(label)}</text>'
        )
    n = len(labels)
    for i in sorted({0, n // 2, n - 1}) if n else []:
        parts.append(
            f'<text x="{_x(i, n):.1f}" y="{_H - 8}" text-anchor="{_anchor(i, n)}" font-size="11" fill="#333">'
            f"{escape(labels[i])}</text>"
        )
    return parts


def line_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_max: float | None = None,
    fmt: str = "{:.0%}",
) -> Markup:
    """Lines over windows; gaps (None) break a line rather than drawing a false zero."""
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else (max(values) if values else 1.0) or 1.0
    described = "; ".join(
        f"{s.name}: latest {fmt.format(last)}"
        if (last := next((v for v in reversed(s.values) if v is not None), None)) is not None
        else f"{s.name}: no data"
        for s in series
    )
    parts = _frame(chart_id, title, described, labels, top, fmt)
    n = len(labels)
    for k, s in enumerate(series):
        dash = _DASHES[k % len(_DASHES)]
        stroke = _STROKES[k % len(_STROKES)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{_x(i, n):.1f},{_y(v, top):.1f}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{stroke}"/>')
            elif run:
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{stroke}" stroke-width="2"{dash_attr}/>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text interpolated above went through escape())


def bar_chart(chart_id: str, title: str, labels: Sequence[str], values: Sequence[int]) -> Markup:
    """One bar per window (request counts)."""
    top = float(max(4, math.ceil(max(values, default=0) / 4) * 4))  # whole-number gridlines
    total = sum(values)
    parts = _frame(chart_id, title, f"{total} in all over {len(labels)} windows", labels, top, "{:.0f}")
    n = max(len(values), 1)
    width = (_W - _LEFT - _RIGHT) / n
    for i, v in enumerate(values):
        if v:
            y = _y(v, top)
            parts.append(
                f'<rect x="{_LEFT + i * width + 0.5:.1f}" y="{y:.1f}" width="{max(width - 1, 1):.1f}" '
                f'height="{_H - _BOTTOM - y:.1f}" fill="#1a4f8b"><title>{escape(labels[i])}: {v}</title></rect>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text interpolated above went through escape())


def level_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float | None]],
    thresholds: Sequence[tuple[str, float]],
) -> Markup:
    """One horizontal bar per item (a drift feature's PSI), with dashed threshold lines.

    An item without a value (too few records) is drawn as the words "no value", not as a zero
    bar; each bar carries its value as text, so nothing is told by length or colour alone.
    """
    row, label_w, right = 26, 170, 60
    height = _TOP + row * max(len(items), 1) + _BOTTOM
    values = [v for _, v in items if v is not None]
    top = max([*values, *(t for _, t in thresholds), 0.01]) * 1.1
    span = _W - label_w - right

    def x(value: float) -> float:
        return label_w + span * value / top

    described = "; ".join(f"{name}: {'no value' if v is None else f'{v:.3f}'}" for name, v in items)
    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(described)}</desc>',
    ]
    for i, (name, value) in enumerate(items):
        y = _TOP + i * row
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="11" fill="#333">{escape(name)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 16}" font-size="11" fill="#333">no value</text>')
            continue
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{max(x(value) - label_w, 1):.1f}" height="{row - 10}" '
            f'fill="#1a4f8b"/><text x="{x(value) + 4:.1f}" y="{y + 16}" font-size="11" fill="#333">'
            f"{value:.3f}</text>"
        )
    bottom = _TOP + row * max(len(items), 1)
    for k, (name, value) in enumerate(thresholds):
        dash = _DASHES[(k + 1) % len(_DASHES)]
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{_TOP}" y2="{bottom}" stroke="#8a3b00" '
            f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
            f'<text x="{x(value):.1f}" y="{bottom + 14 + 10 * (k % 2)}" text-anchor="middle" font-size="10" '
            f'fill="#333">{escape(name)} {value:g}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text interpolated above went through escape())
