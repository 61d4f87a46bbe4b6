"""Monitoring reports: volume, intervention rate, block rate and latency per group and time window.

Groups are (guardrail, version, direction) and, when asked, the application key that
called. Policy types and categories come from the findings each record keeps: per group,
how many records had a finding of that type and category, and what the guard did about it
(blocked, anonymized, only reported). Latency p50/p99 come from the audit record's own
``latency_ms`` through a 64-bucket histogram (:data:`steward.store.monitor.LATENCY_EDGES_MS`).

Human review comes from the review tables: per group (the application key included, when
grouped by key) and per window, review items and appeals created over the requests (review
and appeal rate), the overturned share of items resolved (overturn rate), and of resolved
items whose decision was a block, the confirmed share (reviewer-confirmed precision of blocks).
What the data cannot tell is said in ``gaps``: the audit trail keeps no language for texts
in a supported language (only findings of type ``UNSUPPORTED_LANGUAGE`` name one).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from steward.errors import InputError
from steward.store.monitor import (
    LATENCY_EDGES_MS,
    AuditScope,
    FindingCell,
    ReviewCounts,
    finding_cells,
    report_cells,
    review_counts,
)
from steward.store.rollups import RollupBlock, floor_hour, rolled_span, rollup_block

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "GAPS",
    "MAX_WINDOWS",
    "build_report",
    "compare_versions",
    "parse_duration",
    "percentile",
    "percentiles",
    "resolve_range",
    "sparkline",
]

#: Most windows one report may have (so a 1-minute window over a year is refused, not computed).
MAX_WINDOWS = 2000
MIN_WINDOW_S = 60
MAX_RANGE = timedelta(days=400)

GAPS = (
    "language: the audit trail names a language only for texts outside the supported ones "
    "(UNSUPPORTED_LANGUAGE findings); there is no per-language breakdown of all traffic",
    "review metrics by application key: review items keep the calling key only since migration "
    "0009_review_suggestions; older items count under no key",
)

_DURATION = re.compile(r"^(\d{1,7})([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_BLOCKS = "▁▂▃▄▅▆▇█"
_STRENGTH = {"NONE": 0, "ANONYMIZED": 1, "BLOCKED": 2}


def parse_duration(text: str, *, field: str) -> int:
    """Seconds in ``30m``, ``1h``, ``7d``, ``2w`` (or a bare number of seconds)."""
    value = text.strip().lower()
    if value.isdigit():
        seconds = int(value)
    else:
        match = _DURATION.fullmatch(value)
        if match is None:
            raise InputError("must be a duration such as 90s, 15m, 1h, 7d or 2w", field=field)
        seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds <= 0 or seconds > MAX_RANGE.total_seconds():
        raise InputError(f"must be between 1 s and {MAX_RANGE.days} days", field=field)
    return seconds


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def resolve_range(
    since: datetime | None, until: datetime | None, *, default: timedelta = timedelta(days=1)
) -> tuple[datetime, datetime]:
    """``since``/``until`` as aware UTC (naive = UTC); missing ends default to now and now - ``default``."""
    end = _utc(until) if until is not None else datetime.now(UTC)
    try:
        start = _utc(since) if since is not None else end - default
    except OverflowError:
        raise InputError(
            "is too early to leave room for the default range; give 'since' too", field="until"
        ) from None
    if start >= end:
        raise InputError("must be before 'until'", field="since")
    if end - start > MAX_RANGE:
        raise InputError(f"the range may span at most {MAX_RANGE.days} days", field="since")
    return start, end


_HI = np.array([*LATENCY_EDGES_MS, LATENCY_EDGES_MS[-1] * 1.25])
_LO = np.array([0.0, *LATENCY_EDGES_MS])


def percentiles(hist: np.ndarray[Any, Any], q: float) -> list[float | None]:
    """The ``q`` quantile (0–1) of each row of ``hist`` (rows of counts over
    :data:`LATENCY_EDGES_MS` buckets); None for an empty row.

    Read inside its bucket by geometric interpolation (the buckets are geometric): the
    error is within one bucket's width (25%) and typically under half of it.
    """
    hist = np.asarray(hist, dtype=float).reshape(-1, len(_HI))
    totals = hist.sum(axis=1)
    rank = q * totals
    cum = np.cumsum(hist, axis=1)
    idx = np.argmax(cum >= rank[:, None] - 1e-9, axis=1)
    rows = np.arange(hist.shape[0])
    in_bucket = hist[rows, idx]
    seen = cum[rows, idx] - in_bucket
    share = np.divide(rank - seen, in_bucket, out=np.zeros_like(rank), where=in_bucket > 0)
    lo, hi = _LO[idx], _HI[idx]
    safe_lo = np.where(lo > 0, lo, 1.0)
    value = np.where(lo > 0, safe_lo * np.exp(share * np.log(hi / safe_lo)), hi * share)
    return [round(float(v), 3) if t > 0 else None for v, t in zip(value, totals, strict=True)]


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile of one latency histogram (see :func:`percentiles`)."""
    return percentiles(np.asarray(counts), q)[0]


def sparkline(values: Sequence[float | None]) -> str:
    """Unicode block characters scaled to the largest value; a missing value is a space."""
    present = [v for v in values if v is not None]
    top = max(present, default=0.0)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif top <= 0:
            out.append(_BLOCKS[0])
        else:
            out.append(_BLOCKS[min(len(_BLOCKS) - 1, int(v / top * (len(_BLOCKS) - 1) + 0.5))])
    return "".join(out)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class _Series:
    """One group's counts per window, and its latency histogram per window."""

    def __init__(self, n_windows: int) -> None:
        self.counts = np.zeros((n_windows, 3), dtype=np.int64)  # requests, interventions, blocks
        self.hist = np.zeros((n_windows, len(_HI)), dtype=np.int64)
        self.outside = np.zeros(3, dtype=np.int64)
        self.outside_hist = np.zeros(len(_HI), dtype=np.int64)

    def add_block(self, counts: np.ndarray[Any, Any], hist: np.ndarray[Any, Any]) -> None:
        """Add a rolled span's counts and latency histograms, per window (all inside the range)."""
        self.counts += counts
        self.hist[:, : hist.shape[1]] += hist

    def add(self, window: int, requests: int, interventions: int, blocks: int, bucket: int) -> None:
        if 0 <= window < self.counts.shape[0]:
            self.counts[window] += (requests, interventions, blocks)
            self.hist[window, bucket] += requests
        else:  # a record on the range's edge, counted in the totals only
            self.outside += (requests, interventions, blocks)
            self.outside_hist[bucket] += requests

    @staticmethod
    def _entry(counts: np.ndarray[Any, Any], p50: float | None, p99: float | None) -> dict[str, Any]:
        requests, interventions, blocks = (int(x) for x in counts)
        return {
            "requests": requests,
            "interventions": interventions,
            "blocks": blocks,
            "interventionRate": _rate(interventions, requests),
            "blockRate": _rate(blocks, requests),
            "latencyP50Ms": p50,
            "latencyP99Ms": p99,
        }

    def totals(self) -> dict[str, Any]:
        hist = self.hist.sum(axis=0) + self.outside_hist
        return self._entry(
            self.counts.sum(axis=0) + self.outside, percentiles(hist, 0.5)[0], percentiles(hist, 0.99)[0]
        )

    @property
    def requests(self) -> int:
        return int(self.counts[:, 0].sum() + self.outside[0])

    def windows(self, reviews: dict[int, ReviewCounts]) -> list[dict[str, Any]]:
        """An entry per window, with its review metrics (``reviews``: the windows that have any).

        Built in one pass over plain lists: a month of hourly windows by key is 40,000 entries."""
        p50, p99 = percentiles(self.hist, 0.5), percentiles(self.hist, 0.99)
        out = []
        for i, (requests, interventions, blocks) in enumerate(self.counts.tolist()):
            entry = {
                "requests": requests,
                "interventions": interventions,
                "blocks": blocks,
                "interventionRate": round(interventions / requests, 4) if requests else None,
                "blockRate": round(blocks / requests, 4) if requests else None,
                "latencyP50Ms": p50[i],
                "latencyP99Ms": p99[i],
            }
            counted = reviews.get(i)
            if counted is not None:
                entry.update(_review_dict(counted, requests))
            else:
                entry.update(_NO_REVIEWS if requests else _NO_REVIEWS_NO_REQUESTS)
            out.append(entry)
        return out


_GroupKey = tuple[str | None, str | None, str, str | None]


def _group_dict(key: _GroupKey) -> dict[str, Any]:
    return {"guardrailId": key[0], "version": key[1], "source": key[2], "callerKeyId": key[3]}


def build_report(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    window_s: int,
    scope: AuditScope | None = None,
    by_caller: bool = False,
) -> dict[str, Any]:
    """The report as a JSON-ready dict (the API's answer and the CLI's ``--json``)."""
    scope = scope or AuditScope()
    since, until = resolve_range(since, until)
    if window_s % 3600 == 0:  # windows of whole hours start on the hour: they line up with the rollups
        since = floor_hour(since)
    if window_s < MIN_WINDOW_S:
        raise InputError(f"must be at least {MIN_WINDOW_S} s", field="window")
    n_windows = math.ceil((until - since).total_seconds() / window_s)
    if n_windows > MAX_WINDOWS:
        raise InputError(
            f"gives {n_windows} windows over the range; at most {MAX_WINDOWS} (widen the window)",
            field="window",
        )
    totals: dict[_GroupKey, _Series] = {}

    def group_of(key: _GroupKey) -> _Series:
        group = totals.get(key)
        if group is None:
            group = totals[key] = _Series(n_windows)
        return group

    span = rolled_span(sessions, since, until) if window_s % 3600 == 0 else None
    raw = [(since, until)] if span is None else [(since, span.first), (span.end, until)]
    grid: dict[str, Any] = {"origin": since, "window_s": window_s, "scope": scope, "by_caller": by_caller}
    finding_list = []
    for start, end in raw:
        if start < end:
            for cell in report_cells(sessions, since=start, until=end, **grid):
                group_of((cell.guardrail_id, cell.version, cell.source, cell.caller_key_id)).add(
                    cell.window, cell.requests, cell.interventions, cell.blocks, cell.latency_bucket
                )
            finding_list += finding_cells(sessions, since=start, until=end, **grid)
    if span is not None:
        block: RollupBlock = rollup_block(sessions, span, n_windows=n_windows, **grid)
        for i, key in enumerate(block.groups):
            group_of(key).add_block(block.counts[i], block.latency[i])
        finding_list += block.findings
    findings = _finding_breakdown(finding_list, n_windows=n_windows, totals=totals)
    # one windowed read: every item counted lies in the range, so a group's totals are its windows' sum
    review_windows: dict[_GroupKey, dict[int, ReviewCounts]] = defaultdict(dict)
    reviews: dict[_GroupKey, ReviewCounts] = {}
    for r in review_counts(
        sessions, since=since, until=until, scope=scope, by_caller=by_caller, window_s=window_s
    ):
        key = (r.guardrail_id, r.version, r.source, r.caller_key_id)
        if r.window is not None and 0 <= r.window < n_windows:
            review_windows[key][r.window] = r
        reviews[key] = _summed_reviews(reviews.get(key), r)
    groups = []
    for key in sorted(totals, key=lambda k: tuple(x or "" for x in k)):
        series = totals[key].windows(review_windows[key])
        groups.append(
            {
                **_group_dict(key),
                **totals[key].totals(),
                **_review_dict(reviews.get(key), totals[key].requests),
                "series": series,
            }
        )
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "windowSeconds": window_s,
        "windowStarts": [(since + timedelta(seconds=i * window_s)).isoformat() for i in range(n_windows)],
        "latency": "from each audit record's latency_ms, read from a 64-bucket histogram "
        "(buckets 25% apart from 0.1 ms; error within one bucket)",
        "groups": groups,
        "findings": findings,
        "gaps": list(GAPS),
    }


def _summed_reviews(total: ReviewCounts | None, more: ReviewCounts) -> ReviewCounts:
    """``total`` with ``more``'s counts added (the whole range, so no window)."""
    if total is None:
        return replace(more, window=None)
    return replace(
        total,
        items=total.items + more.items,
        appeals=total.appeals + more.appeals,
        confirmed=total.confirmed + more.confirmed,
        overturned=total.overturned + more.overturned,
        blocked_confirmed=total.blocked_confirmed + more.blocked_confirmed,
        blocked_overturned=total.blocked_overturned + more.blocked_overturned,
    )


def _review_dict(counts: ReviewCounts | None, requests: int) -> dict[str, Any]:
    """The human-review metrics of one group, or of one of its windows."""
    c = counts or ReviewCounts(None, None, "", 0, 0, 0, 0, 0, 0)
    return {
        "reviewItems": c.items,
        "appeals": c.appeals,
        "reviewRate": _rate(c.items, requests),
        "appealRate": _rate(c.appeals, requests),
        "overturnRate": _rate(c.overturned, c.confirmed + c.overturned),
        "confirmedBlockPrecision": _rate(c.blocked_confirmed, c.blocked_confirmed + c.blocked_overturned),
    }


#: The review metrics of a window without review items, with requests and without.
_NO_REVIEWS = _review_dict(None, 1)
_NO_REVIEWS_NO_REQUESTS = _review_dict(None, 0)


def _finding_breakdown(
    cells: list[FindingCell], *, n_windows: int, totals: dict[_GroupKey, _Series]
) -> list[dict[str, Any]]:
    """Per group, policy type and category: records with such a finding, by what was done.

    Within one direction a policy has one rule per category, so a record's findings of one
    category share one action and ``records`` is the sum of the three counts.
    """
    counts: dict[tuple[_GroupKey, str, str], dict[str, int]] = defaultdict(
        lambda: {"BLOCKED": 0, "ANONYMIZED": 0, "NONE": 0}
    )
    per_window: dict[tuple[_GroupKey, str, str], list[int]] = defaultdict(lambda: [0] * n_windows)
    for cell in cells:
        key = (cell.guardrail_id, cell.version, cell.source, cell.caller_key_id)
        action = cell.action if cell.action in _STRENGTH else "NONE"
        counts[(key, cell.policy, cell.type)][action] += cell.records
        if 0 <= cell.window < n_windows:
            per_window[(key, cell.policy, cell.type)][cell.window] += cell.records
    out = []
    for (key, policy, type_), by_action in sorted(
        counts.items(), key=lambda kv: (tuple(x or "" for x in kv[0][0]), kv[0][1], kv[0][2])
    ):
        records = sum(by_action.values())
        requests = totals[key].requests if key in totals else 0
        out.append(
            {
                **_group_dict(key),
                "policy": policy,
                "type": type_,
                "records": records,
                "blocked": by_action["BLOCKED"],
                "anonymized": by_action["ANONYMIZED"],
                "reportedOnly": by_action["NONE"],
                "rate": _rate(records, requests),
                "series": per_window[(key, policy, type_)],
            }
        )
    return out


_COMPARED = (
    "requests",
    "interventionRate",
    "blockRate",
    "latencyP50Ms",
    "latencyP99Ms",
    "reviewRate",
    "overturnRate",
)


def compare_versions(
    sessions: sessionmaker[Session],
    *,
    guardrail_id: str,
    version: str,
    previous: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """A guardrail version's rates beside the previous version's, per direction, over one range.

    ``previous`` defaults to ``version - 1`` for numbered versions. Both are measured over
    the same range (default: the last 30 days), so a version that only just took traffic is
    compared on what it has seen; ``requests`` says how much that is.
    """
    if previous is None:
        if not version.isdigit() or int(version) < 2:
            raise InputError("has no previous number; name the version to compare with", field="version")
        previous = str(int(version) - 1)
    start, end = resolve_range(since, until, default=timedelta(days=30))
    window_s = max(MIN_WINDOW_S, int((end - start).total_seconds()) + 1)
    sides = {}
    for name in (version, previous):
        report = build_report(
            sessions, since=start, until=end, window_s=window_s, scope=AuditScope(guardrail_id, name)
        )
        sides[name] = {g["source"]: {k: g[k] for k in _COMPARED} for g in report["groups"]}
    rows = []
    for source in sorted(set(sides[version]) | set(sides[previous])):
        now, before = sides[version].get(source, {}), sides[previous].get(source, {})
        change = {}
        for k in _COMPARED:
            a, b = now.get(k), before.get(k)
            change[k] = round(a - b, 4) if isinstance(a, int | float) and isinstance(b, int | float) else None
        rows.append({"source": source, "version": now or None, "previous": before or None, "change": change})
    return {
        "guardrailId": guardrail_id,
        "version": version,
        "previous": previous,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "directions": rows,
    }
