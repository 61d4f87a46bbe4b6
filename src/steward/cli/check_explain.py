"""``steward check --explain``: which words raised each learned detector's score, by occlusion
(:mod:`steward.explain.occlusion`), highlighted in the text or added to the JSON."""

from __future__ import annotations

from typing import Any

import click

from steward.assessment import Assessment
from steward.guard import Guard

__all__ = ["explain_json", "render_explanations"]

#: Longest text shown highlighted in the terminal; beyond it only the top words are listed.
SHOWN_CHARS = 4000


def _explanations(guard: Guard, text: str, assessment: Assessment) -> list[Any]:
    from steward.explain.occlusion import explain_assessment

    return explain_assessment(guard, text, assessment)


def explain_json(guard: Guard, text: str, assessment: Assessment) -> list[dict[str, Any]]:
    """The explanations as JSON-ready dicts (for ``--json``)."""
    return [e.to_dict() for e in _explanations(guard, text, assessment)]


def _highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` in reverse video: click drops the styling when not on a terminal,
    so the spans are also bracketed, and the highlight survives a pipe or a log."""
    out: list[str] = []
    done = 0
    for start, end in sorted(spans):
        out.append(text[done:start])
        out.append(click.style(f"[{text[start:end]}]", fg="red", bold=True, reverse=True))
        done = end
    out.append(text[done:])
    return "".join(out)


def render_explanations(guard: Guard, text: str, assessment: Assessment) -> None:
    """Print, per finding of a learned detector, its top words and the text highlighted."""
    explained = _explanations(guard, text, assessment)
    if not explained:
        click.echo("  explain: no finding of a learned detector (content filters, denied topics) to explain")
        return
    for e in explained:
        click.echo(
            f"  explain {e.type} ({e.detector}, score {e.score:.2f}; masking {e.window}-word windows): "
            + (", ".join(f"{w.word!r} +{w.attribution:.2f}" for w in e.top) or "no word raises the score")
        )
        if e.top and len(text) <= SHOWN_CHARS:
            click.echo("    " + _highlight(text, [(w.start, w.end) for w in e.top]).replace("\n", "\n    "))
