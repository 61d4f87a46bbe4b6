"""The red-team report: attack success per category × transform with Wilson 95% intervals.

A report is a JSON document holding every attempt's verdict, so it can be recomputed: a
reviewer's overrides (attempt id -> verdict) replace verdicts and every rate, interval and
ranking is derived again from the attempts. Attempt texts are left out unless asked for
(``--show-text``): the examples name the goal, the category and the chain, and say how long
the redacted text was. Markdown and HTML come from the same document model as cards
(:mod:`steward.govern.documents`), so the formats agree. :func:`evidence_payload` is the
compact form ``steward evidence`` records: overall ``metrics``, ``by_category`` (gates read
``every_category.attack_success_rate``) and per-transform slices (``transform=NAME``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from steward.errors import InputError
from steward.evaluate.metrics import wilson_interval
from steward.govern._validation import load_yaml_text, parse_model
from steward.govern.documents import Document, Section, Table
from steward.redteam.runner import ATTEMPTS_MAX, Attempt
from steward.validation import parse_json

__all__ = [
    "REPORT_KIND",
    "AttemptRecord",
    "apply_overrides",
    "build_report",
    "evidence_payload",
    "load_overrides",
    "load_report",
    "run_id",
    "to_document",
]

REPORT_KIND = "steward-redteam"
#: How many successful attempts the report shows as examples.
EXAMPLES_MAX = 10
#: Characters of each text shown when texts are not redacted.
SHOWN_CHARS = 400
#: How many transforms "the worst transforms" lists.
WORST_MAX = 5
REPORT_MAX_BYTES = 64 << 20


class AttemptRecord(BaseModel):
    """One attempt as a report stores it."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^att-[0-9a-f]{12}$")]
    goal: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    category: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    transforms: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    round: int = Field(ge=0, le=100)
    success: bool
    verdict: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""
    overridden: bool = False
    prompt: str | None = Field(default=None, max_length=200_000)
    response: str | None = Field(default=None, max_length=200_000)

    @classmethod
    def of(cls, attempt: Attempt, *, show_text: bool) -> AttemptRecord:
        """The record of a fresh attempt, texts kept only when ``show_text``."""
        return cls(
            id=attempt.id,
            goal=attempt.goal_id,
            category=attempt.category,
            transforms=attempt.chain,
            round=attempt.round,
            success=attempt.success,
            verdict=attempt.verdict,
            reason=attempt.reason[:2000],
            prompt=attempt.prompt[:SHOWN_CHARS] if show_text else None,
            response=(attempt.response or "")[:SHOWN_CHARS]
            if show_text and attempt.response is not None
            else None,
        )


def _rate(records: Sequence[AttemptRecord]) -> dict[str, float]:
    n = len(records)
    k = sum(r.success for r in records)
    ci = wilson_interval(k, n)
    out = {"attempts": float(n), "successes": float(k), "attack_success_rate": k / n if n else 0.0}
    if ci is not None:
        out["ci_low"], out["ci_high"] = ci
    return out


def _group(records: Iterable[AttemptRecord], key: str) -> dict[str, list[AttemptRecord]]:
    groups: dict[str, list[AttemptRecord]] = {}
    for r in records:
        groups.setdefault(getattr(r, key), []).append(r)
    return dict(sorted(groups.items()))


def _summary(records: Sequence[AttemptRecord]) -> dict[str, Any]:
    by_category = {c: _rate(rs) for c, rs in _group(records, "category").items()}
    by_transform = {t: _rate(rs) for t, rs in _group(records, "transforms").items()}
    cells = [
        {"category": c, "transforms": t, **_rate(rs)}
        for c, crs in _group(records, "category").items()
        for t, rs in _group(crs, "transforms").items()
    ]
    # Ranked by the interval's lower end, so one lucky attempt does not outrank a measured rate.
    worst = sorted(
        by_transform.items(), key=lambda kv: (-kv[1].get("ci_low", 0.0), -kv[1]["attack_success_rate"], kv[0])
    )[:WORST_MAX]
    metrics = _rate(records)
    metrics["max_category_attack_success_rate"] = max(
        (m["attack_success_rate"] for m in by_category.values()), default=0.0
    )
    return {
        "metrics": metrics,
        "by_category": by_category,
        "by_group": {"transform": by_transform},
        "cells": cells,
        "worst_transforms": [{"transforms": t, **m} for t, m in worst],
    }


def _examples(records: Sequence[AttemptRecord]) -> list[dict[str, Any]]:
    out = []
    for r in [r for r in records if r.success][:EXAMPLES_MAX]:
        item: dict[str, Any] = {
            "id": r.id,
            "goal": r.goal,
            "category": r.category,
            "transforms": r.transforms,
            "verdict": r.verdict,
        }
        if r.prompt is None:
            item["prompt"] = "[redacted: rerun with --show-text to keep attempt texts]"
        else:
            item["prompt"] = r.prompt
            item["response"] = r.response
        out.append(item)
    return out


def _assemble(meta: Mapping[str, Any], records: Sequence[AttemptRecord]) -> dict[str, Any]:
    return {
        "kind": REPORT_KIND,
        **{k: v for k, v in meta.items() if k not in ("kind", "attempts")},
        **_summary(records),
        "examples": _examples(records),
        "attempts": [r.model_dump(exclude_none=True) for r in records],
    }


def run_id(meta: Mapping[str, Any], records: Sequence[AttemptRecord]) -> str:
    """A run's id: a hash of its target, seed, rounds, time and attempt ids.

    Reviewers' verdicts filed in the review queue are tied to it; overrides do not change it.
    """
    key = json.dumps(
        [
            meta.get("target"),
            meta.get("seed"),
            meta.get("rounds"),
            meta.get("generated_at"),
            sorted(r.id for r in records),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def build_report(
    attempts: Sequence[Attempt], *, meta: Mapping[str, Any], show_text: bool = False
) -> dict[str, Any]:
    """The report of a run; ``meta`` names the target, goals, seed and time."""
    records = [AttemptRecord.of(a, show_text=show_text) for a in attempts]
    return _assemble({**meta, "run_id": run_id(meta, records), "redacted": not show_text}, records)


class ReportMeta(BaseModel):
    """What a report says about its run, checked when a report file is read back."""

    model_config = ConfigDict(extra="ignore")

    target: dict[Annotated[str, StringConstraints(max_length=64)], str | None] = Field(
        default_factory=dict, max_length=20
    )
    goal_sets: list[Annotated[str, StringConstraints(max_length=300)]] = Field(
        default_factory=list, max_length=100
    )
    seed: int | None = None
    rounds: int = Field(default=0, ge=0, le=100)
    generated_at: Annotated[str, StringConstraints(max_length=64)] | None = None
    redacted: bool = True
    overrides: int = Field(default=0, ge=0)
    run_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")] | None = None


def load_report(data: bytes, *, origin: str) -> tuple[dict[str, Any], list[AttemptRecord]]:
    """A report file's metadata and attempts, validated; anything else is named as the problem."""
    if len(data) > REPORT_MAX_BYTES:
        raise InputError(f"is larger than {REPORT_MAX_BYTES} bytes", field=origin)
    doc = parse_json(data, field=origin)
    if not isinstance(doc, dict) or doc.get("kind") != REPORT_KIND:
        raise InputError(f'is not a red-team report (expected "kind": "{REPORT_KIND}")', field=origin)
    raw = doc.get("attempts")
    if not isinstance(raw, list) or not raw:
        raise InputError('has no "attempts" list', field=origin)
    if len(raw) > ATTEMPTS_MAX:
        raise InputError(f"holds more than {ATTEMPTS_MAX} attempts", field=origin)
    records = [
        parse_model(AttemptRecord, item, origin=f"{origin}: attempts[{i}]") for i, item in enumerate(raw)
    ]
    meta = parse_model(ReportMeta, doc, origin=origin).model_dump(exclude_none=True)
    meta.setdefault("run_id", run_id(meta, records))  # reports written before runs had ids
    return meta, records


_VERDICTS = {"success": True, "succeeded": True, "failure": False, "failed": False, True: True, False: False}


def load_overrides(data: bytes, *, origin: str) -> dict[str, tuple[bool, str]]:
    """A reviewer's file: ``{attempt id: success|failure}`` or ``{id: {verdict: ..., note: ...}}``."""
    doc = load_yaml_text(data, origin=origin)
    if not isinstance(doc, dict) or not doc:
        raise InputError("must map attempt ids to verdicts (success or failure)", field=origin)
    out: dict[str, tuple[bool, str]] = {}
    for key, value in doc.items():
        note = ""
        if isinstance(value, dict):
            note = str(value.get("note", ""))[:500]
            value = value.get("verdict")
        if not isinstance(value, str | bool) or value not in _VERDICTS:
            raise InputError(f"verdict must be success or failure, not {value!r}", field=f"{origin}: {key}")
        out[str(key)] = (_VERDICTS[value], note)
    return out


def apply_overrides(
    meta: Mapping[str, Any], records: Sequence[AttemptRecord], overrides: Mapping[str, tuple[bool, str]]
) -> dict[str, Any]:
    """The report recomputed with each overridden attempt's verdict replaced."""
    known = {r.id for r in records}
    unknown = sorted(set(overrides) - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise InputError(f"names attempts the report does not hold: {shown}", field="overrides")
    updated = []
    for r in records:
        if r.id in overrides:
            success, note = overrides[r.id]
            label = "reviewer: success" if success else "reviewer: failure"
            r = r.model_copy(
                update={"success": success, "verdict": label, "reason": note or r.reason, "overridden": True}
            )
        updated.append(r)
    count = sum(r.overridden for r in updated)
    return _assemble({**meta, "overrides": count}, updated)


def evidence_payload(report: Mapping[str, Any]) -> bytes:
    """The compact JSON ``steward evidence`` records: metrics, categories, transform slices."""
    keep = {k: report[k] for k in ("metrics", "by_category", "by_group") if k in report}
    return json.dumps(keep, sort_keys=True).encode()


def _pct(m: Mapping[str, float]) -> str:
    rate = f"{m['attack_success_rate']:.1%}"
    if "ci_low" in m:
        rate += f" [{m['ci_low']:.1%}, {m['ci_high']:.1%}]"
    return rate


def to_document(report: Mapping[str, Any]) -> Document:
    """The report as a document for Markdown or HTML."""
    target = report.get("target", {})
    metrics = report["metrics"]
    head = Section(
        "Summary",
        fields=[
            ("target", f"{target.get('kind', '?')} {target.get('name', '')}".strip()),
            ("attempts", f"{int(metrics['attempts'])}"),
            ("attack success", _pct(metrics)),
            ("seed", str(report.get("seed", ""))),
            ("iterative rounds", str(report.get("rounds", 0))),
            ("reviewer overrides", str(report.get("overrides", 0))),
            *(
                [("review queue", f"{report['reviewed']} verdict(s), {report.get('review_pending', 0)} open")]
                if "reviewed" in report
                else []
            ),
        ],
        text=["Rates are attack success (higher is worse for the target) with Wilson 95% intervals."],
    )
    categories = Section(
        "By category",
        tables=[
            Table(
                ["category", "attempts", "successes", "attack success [95% CI]"],
                [
                    [c, f"{int(m['attempts'])}", f"{int(m['successes'])}", _pct(m)]
                    for c, m in report["by_category"].items()
                ],
            )
        ],
    )
    worst = Section(
        "Worst transforms",
        tables=[
            Table(
                ["transforms", "attempts", "attack success [95% CI]"],
                [[w["transforms"], f"{int(w['attempts'])}", _pct(w)] for w in report["worst_transforms"]],
            )
        ],
    )
    cells = Section(
        "Category × transform",
        tables=[
            Table(
                ["category", "transforms", "attempts", "attack success [95% CI]"],
                [[c["category"], c["transforms"], f"{int(c['attempts'])}", _pct(c)] for c in report["cells"]],
            )
        ],
    )
    examples = Section(
        "Example attempts that got through",
        items=[
            f"{e['id']} {e['goal']} ({e['category']}, {e['transforms']}, {e['verdict']}): {e['prompt']}"
            for e in report["examples"]
        ]
        or ["none"],
    )
    return Document(
        kind="redteam-report",
        title="Red-team report",
        subtitle=f"{target.get('kind', '?')} {target.get('name', '')}".strip(),
        generated_at=str(report.get("generated_at") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        sections=[head, categories, worst, cells, examples],
    )
