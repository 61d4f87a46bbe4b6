"""Monitoring reports over the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from monitor_helpers import finding, new_gid, record, store
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import InputError
from steward.monitor.report import build_report, parse_duration, percentile, sparkline
from steward.store.monitor import LATENCY_EDGES_MS, AuditScope

BASE = datetime(2026, 3, 1, tzinfo=UTC)


def _report(sessions: sessionmaker[Session], gid: str, **kw: object) -> dict[str, object]:
    args: dict[str, object] = {
        "since": BASE,
        "until": BASE + timedelta(hours=3),
        "window_s": 3600,
        "scope": AuditScope(guardrail_id=gid),
    }
    args.update(kw)
    return build_report(sessions, **args)  # type: ignore[arg-type]


def test_volume_intervention_and_block_rates_per_window(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid()
    hate = finding("contentPolicy", "HATE", "BLOCKED")
    email = finding("sensitiveInformationPolicy", "EMAIL", "ANONYMIZED")
    records = []
    # hour 0: 10 requests, 1 block; hour 1: 20 requests, 8 blocks and 2 masked; hour 2: none
    for i in range(10):
        records.append(
            record(gid, BASE + timedelta(minutes=i), blocked=i == 0, findings=[hate] if i == 0 else [])
        )
    for i in range(20):
        when = BASE + timedelta(hours=1, minutes=i)
        if i < 8:
            records.append(record(gid, when, blocked=True, findings=[hate, email]))
        elif i < 10:
            records.append(record(gid, when, masked=True, findings=[email]))
        else:
            records.append(record(gid, when))
    records.append(record(gid, BASE + timedelta(hours=4)))  # outside the range
    assert store(engine, records) == 31

    report = _report(sessions, gid)
    assert report["windowSeconds"] == 3600
    assert len(report["windowStarts"]) == 3  # type: ignore[arg-type]
    [group] = report["groups"]  # type: ignore[misc]
    assert (group["guardrailId"], group["version"], group["source"]) == (gid, "1", "input")
    assert (group["requests"], group["interventions"], group["blocks"]) == (30, 11, 9)
    assert group["blockRate"] == pytest.approx(9 / 30, abs=1e-4)
    assert group["interventionRate"] == pytest.approx(11 / 30, abs=1e-4)
    series = group["series"]
    assert [w["requests"] for w in series] == [10, 20, 0]
    assert [w["blocks"] for w in series] == [1, 8, 0]
    assert series[1]["blockRate"] == pytest.approx(0.4)
    assert series[2]["blockRate"] is None

    by_type = {(f["policy"], f["type"]): f for f in report["findings"]}  # type: ignore[attr-defined]
    assert by_type[("contentPolicy", "HATE")]["records"] == 9
    assert by_type[("contentPolicy", "HATE")]["blocked"] == 9
    assert by_type[("contentPolicy", "HATE")]["series"] == [1, 8, 0]
    assert by_type[("sensitiveInformationPolicy", "EMAIL")]["anonymized"] == 10
    assert by_type[("sensitiveInformationPolicy", "EMAIL")]["rate"] == pytest.approx(10 / 30, abs=1e-4)
    assert any("language" in gap for gap in report["gaps"])  # type: ignore[attr-defined]


def test_groups_split_by_version_direction_and_key(engine: Engine, sessions: sessionmaker[Session]) -> None:
    gid = new_gid()
    store(
        engine,
        [
            record(gid, BASE, version="1", caller="k1"),
            record(gid, BASE, version="2", caller="k1", blocked=True),
            record(gid, BASE, version="2", source="output", caller="k2"),
            record(gid, BASE, version="2", source="output", caller="k1"),
        ],
    )
    groups = _report(sessions, gid)["groups"]
    assert [(g["version"], g["source"], g["requests"]) for g in groups] == [  # type: ignore[attr-defined]
        ("1", "input", 1),
        ("2", "input", 1),
        ("2", "output", 2),
    ]
    by_key = _report(sessions, gid, by_caller=True)["groups"]
    assert [(g["version"], g["source"], g["callerKeyId"]) for g in by_key] == [  # type: ignore[attr-defined]
        ("1", "input", "k1"),
        ("2", "input", "k1"),
        ("2", "output", "k1"),
        ("2", "output", "k2"),
    ]
    only_k2 = _report(sessions, gid, scope=AuditScope(guardrail_id=gid, caller_key_id="k2"))["groups"]
    assert [g["requests"] for g in only_k2] == [1]  # type: ignore[attr-defined]


def test_latency_percentiles_are_within_one_bucket_of_the_exact_ones(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid()
    rng = np.random.default_rng(7)
    latencies = rng.lognormal(mean=1.5, sigma=0.8, size=400)
    store(
        engine,
        [record(gid, BASE + timedelta(seconds=i), latency_ms=float(x)) for i, x in enumerate(latencies)],
    )
    [group] = _report(sessions, gid)["groups"]  # type: ignore[misc]
    for key, q in (("latencyP50Ms", 50), ("latencyP99Ms", 99)):
        exact = float(np.percentile(latencies, q))
        assert exact / 1.25 <= group[key] <= exact * 1.25, (key, exact, group[key])


def test_percentile_reads_inside_the_bucket() -> None:
    counts = [0] * (len(LATENCY_EDGES_MS) + 1)
    assert percentile(counts, 0.5) is None
    i = 30  # everything in one bucket: the median sits inside it
    counts[i] = 10
    p50 = percentile(counts, 0.5)
    assert p50 is not None and LATENCY_EDGES_MS[i - 1] < p50 < LATENCY_EDGES_MS[i]


def test_sparkline_scales_to_the_largest_value() -> None:
    assert sparkline([0, 4, 8, None]) == "▁▅█ "
    assert sparkline([0, 0]) == "▁▁"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window_s": 10}, "window"),
        ({"window_s": 60, "until": BASE + timedelta(days=30)}, "window"),
        ({"since": BASE + timedelta(hours=5)}, "since"),
        ({"since": BASE - timedelta(days=500)}, "since"),
    ],
)
def test_bad_ranges_and_windows_are_named(
    sessions: sessionmaker[Session], kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InputError) as info:
        _report(sessions, "nothing", **kwargs)
    assert info.value.field == field


def test_parse_duration() -> None:
    assert parse_duration("15m", field="window") == 900
    assert parse_duration("2w", field="window") == 1_209_600
    assert parse_duration("120", field="window") == 120
    for bad in ("1y", "-5m", "0", "abc", "9999999d"):
        with pytest.raises(InputError, match="window"):
            parse_duration(bad, field="window")


def _item(
    gid: str,
    *,
    reason: str = "policy_review",
    blocked: bool = False,
    outcome: str | None = None,
    caller: str | None = None,
    at: timedelta = timedelta(minutes=5),
) -> Any:
    from steward.store.models.review import ReviewItem

    return ReviewItem(
        id=uuid.uuid4().hex,
        request_id=uuid.uuid4().hex,
        guardrail_id=gid,
        version="1",
        source="input",
        action="GUARDRAIL_INTERVENED" if blocked else "NONE",
        blocked=blocked,
        reason=reason,
        state="resolved" if outcome else "open",
        findings=[],
        outcome=outcome,
        caller_key_id=caller,
        created_at=BASE + at,
        updated_at=BASE + at,
        due_at=BASE + timedelta(days=1),
        expires_at=BASE + timedelta(days=90),
        resolved_at=BASE + at + timedelta(minutes=25) if outcome else None,
    )


def test_review_appeal_and_overturn_rates_and_confirmed_block_precision(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid()
    store(engine, [record(gid, BASE + timedelta(minutes=i), blocked=i < 10) for i in range(40)])
    items = [
        *(_item(gid, blocked=True, outcome="confirmed") for _ in range(3)),
        _item(gid, blocked=True, outcome="overturned"),
        _item(gid, reason="appeal", blocked=True, outcome="overturned"),
        _item(gid, reason="appeal", blocked=True),  # still open
        _item(gid, outcome="confirmed"),  # a passed text sampled for audit, confirmed
        _item(gid),
    ]
    with sessions.begin() as session:
        session.add_all(items)
    [group] = _report(sessions, gid)["groups"]  # type: ignore[misc]
    assert (group["reviewItems"], group["appeals"]) == (8, 2)
    assert group["reviewRate"] == pytest.approx(8 / 40)
    assert group["appealRate"] == pytest.approx(2 / 40)
    assert group["overturnRate"] == pytest.approx(2 / 6, abs=1e-4)  # 2 of 6 resolved
    assert group["confirmedBlockPrecision"] == pytest.approx(3 / 5)  # 3 of 5 resolved blocks
    [keyed] = _report(sessions, gid, by_caller=True)["groups"]  # type: ignore[misc]
    assert keyed["callerKeyId"] is None and keyed["reviewItems"] == 8  # neither records nor items name a key


def test_review_metrics_per_window_and_per_application_key(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid()
    store(
        engine,
        [record(gid, BASE + timedelta(minutes=i), caller="KA") for i in range(20)]
        + [record(gid, BASE + timedelta(minutes=60 + i), caller="KB") for i in range(10)],
    )
    with sessions.begin() as session:
        session.add_all(
            [
                _item(gid, caller="KA"),
                _item(gid, caller="KA", reason="appeal", blocked=True, outcome="confirmed"),
                _item(gid, caller="KB", blocked=True, outcome="overturned", at=timedelta(minutes=70)),
            ]
        )
    by_key = {g["callerKeyId"]: g for g in _report(sessions, gid, by_caller=True)["groups"]}  # type: ignore[attr-defined]
    ka, kb = by_key["KA"], by_key["KB"]
    assert (ka["reviewItems"], ka["appeals"], ka["reviewRate"]) == (2, 1, 0.1)
    assert (ka["overturnRate"], ka["confirmedBlockPrecision"]) == (0.0, 1.0)
    assert (kb["reviewItems"], kb["reviewRate"], kb["overturnRate"]) == (1, 0.1, 1.0)
    # per window: KA's items in the first hour, KB's (created and resolved) in the second
    assert [w["reviewItems"] for w in ka["series"]] == [2, 0, 0]
    assert [w["reviewItems"] for w in kb["series"]] == [0, 1, 0]
    assert [w["overturnRate"] for w in kb["series"]] == [None, 1.0, None]
    assert kb["series"][1]["reviewRate"] == 0.1
    # scoped to one key, the review metrics follow the scope
    [only_b] = _report(sessions, gid, scope=AuditScope(guardrail_id=gid, caller_key_id="KB"))["groups"]  # type: ignore[misc]
    assert (only_b["requests"], only_b["reviewItems"]) == (10, 1)


def test_a_version_is_compared_with_the_one_before(engine: Engine, sessions: sessionmaker[Session]) -> None:
    from steward.monitor.report import compare_versions

    gid = new_gid()
    store(
        engine,
        [record(gid, BASE + timedelta(minutes=i), version="1", blocked=i < 2) for i in range(20)]
        + [record(gid, BASE + timedelta(minutes=i), version="2", blocked=i < 8) for i in range(20)]
        + [record(gid, BASE, version="2", source="output")],
    )
    result = compare_versions(
        sessions, guardrail_id=gid, version="2", since=BASE, until=BASE + timedelta(hours=1)
    )
    assert result["previous"] == "1"
    by_source = {row["source"]: row for row in result["directions"]}
    inputs = by_source["input"]
    assert (inputs["version"]["blockRate"], inputs["previous"]["blockRate"]) == (0.4, 0.1)
    assert inputs["change"]["blockRate"] == pytest.approx(0.3)
    assert by_source["output"]["previous"] is None and by_source["output"]["change"]["blockRate"] is None
    with pytest.raises(InputError, match="previous"):
        compare_versions(sessions, guardrail_id=gid, version="DRAFT")
