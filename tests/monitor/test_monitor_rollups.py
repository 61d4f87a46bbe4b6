"""Hourly rollups: reports over whole-hour windows read them and give the same answer as over the
records; late or pruned records send the report back to the records; the scheduler keeps them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from monitor_helpers import finding, record, store
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from steward.cli import main
from steward.monitor.drift import drift_report
from steward.monitor.report import build_report
from steward.monitor.rollups import catch_up, rebuild
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.models.core import AuditRow
from steward.store.models.monitor import AuditRollupHourRow, AuditRollupRow
from steward.store.monitor import AuditScope
from steward.store.rollups import roll_pending, rolled_span

BASE = datetime(2026, 5, 1, tzinfo=UTC)
NOW = BASE + timedelta(days=2)


@pytest.fixture
def fresh(fresh_db_url: str) -> Iterator[tuple[Engine, sessionmaker[Session], str]]:
    """A database of the test's own: rollup marks are global, so no other test's records share it."""
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield engine, session_factory(engine), fresh_db_url
    engine.dispose()


def _traffic(engine: Engine, gid: str) -> None:
    rows = []
    for i in range(300):  # five hours, two keys, blocks and masks, latencies from 1 to 300 ms
        when = BASE + timedelta(minutes=i)
        hate = [finding("contentPolicy", "HATE", "BLOCKED")] if i % 7 == 0 else []
        rows.append(
            record(
                gid,
                when,
                blocked=bool(hate),
                masked=i % 11 == 0,
                findings=hate,
                latency_ms=1.0 + i,
                caller=f"K{i % 2}",
                source="input" if i % 3 else "output",
            )
        )
    store(engine, rows)


def _strip(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("latency", "gaps")}


@pytest.mark.parametrize(
    ("window_s", "by_caller"), [(3600, False), (3600, True), (7200, False), (86400, True)]
)
def test_a_report_from_rollups_equals_the_report_from_records(
    fresh: tuple[Engine, sessionmaker[Session], str], window_s: int, by_caller: bool
) -> None:
    engine, sessions, _ = fresh
    gid = "r" + uuid.uuid4().hex[:8]
    _traffic(engine, gid)
    args: dict[str, Any] = {
        "since": BASE - timedelta(minutes=30),  # not on the hour: snapped to it for whole-hour windows
        "until": BASE + timedelta(hours=5, minutes=20),  # the last part hour is read from the records
        "window_s": window_s,
        "scope": AuditScope(guardrail_id=gid),
        "by_caller": by_caller,
    }
    from_records = build_report(sessions, **args)
    assert roll_pending(sessions, NOW) == 5
    assert rolled_span(sessions, args["since"], args["until"]) is not None
    from_rollups = build_report(sessions, **args)
    assert _strip(from_rollups) == _strip(from_records)
    assert from_records["since"] == (BASE - timedelta(hours=1)).isoformat()
    assert sum(g["requests"] for g in from_rollups["groups"]) == 300
    assert from_rollups["findings"] and all(f["type"] == "HATE" for f in from_rollups["findings"])


def test_rollups_are_what_the_report_reads_and_late_records_are_not_lost(
    fresh: tuple[Engine, sessionmaker[Session], str],
) -> None:
    engine, sessions, _ = fresh
    gid = "r" + uuid.uuid4().hex[:8]
    _traffic(engine, gid)
    catch_up(sessions, NOW)
    with sessions.begin() as session:  # fake the rollups: a report that reads them shows it
        session.execute(AuditRollupRow.__table__.update().values(requests=AuditRollupRow.requests * 2))
    args: dict[str, Any] = {"since": BASE, "until": BASE + timedelta(hours=5), "window_s": 3600}
    assert sum(g["requests"] for g in build_report(sessions, **args)["groups"]) == 600
    store(engine, [record(gid, BASE + timedelta(minutes=10))])  # a record reaching a rolled hour late
    report = build_report(sessions, **args)
    assert sum(g["requests"] for g in report["groups"]) == 301  # back to the records: exact
    assert rebuild(sessions, BASE, NOW) >= 5
    assert sum(g["requests"] for g in build_report(sessions, **args)["groups"]) == 301
    with sessions.begin() as session:  # pruning, too, is noticed
        oldest = session.scalar(select(func.min(AuditRow.id)))
        session.execute(delete(AuditRow).where(AuditRow.id == oldest))
    assert rolled_span(sessions, BASE, BASE + timedelta(hours=5)) is None
    assert sum(g["requests"] for g in build_report(sessions, **args)["groups"]) == 300


def test_only_settled_hours_are_rolled_and_empty_hours_are_marked_in_bulk(
    fresh: tuple[Engine, sessionmaker[Session], str],
) -> None:
    engine, sessions, _ = fresh
    gid = "r" + uuid.uuid4().hex[:8]
    store(engine, [record(gid, BASE), record(gid, BASE + timedelta(hours=30))])
    # an hour is rolled 5 minutes after it ends; the hour in progress never is
    assert roll_pending(sessions, BASE + timedelta(hours=1, minutes=4)) == 0
    assert roll_pending(sessions, BASE + timedelta(hours=1, minutes=6)) == 1
    assert roll_pending(sessions, BASE + timedelta(hours=40)) == 1  # 28 empty hours marked, one rolled
    with sessions() as session:
        marks = session.scalar(select(func.count()).select_from(AuditRollupHourRow))
        assert marks == 39  # every hour from BASE up to the last settled one
    assert roll_pending(sessions, BASE + timedelta(hours=40)) == 0


def test_the_scheduler_rolls_up_and_the_cli_rebuilds(
    fresh: tuple[Engine, sessionmaker[Session], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from steward.monitor.scheduler import AlertScheduler
    from steward.monitor.settings import MonitorSettings

    engine, sessions, url = fresh
    gid = "r" + uuid.uuid4().hex[:8]
    _traffic(engine, gid)
    scheduler = AlertScheduler(sessions, MonitorSettings())
    asyncio.run(scheduler.run_once(NOW))
    assert scheduler.rolled_hours == 5
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["monitor", "rollup", "--rebuild-since", "2026-05-01T02:00:00"])
    assert result.exit_code == 0, result.output
    assert "rolled up" in result.stdout


def test_drift_from_rollups_equals_drift_from_records_and_counts_every_record(
    fresh: tuple[Engine, sessionmaker[Session], str],
) -> None:
    engine, sessions, _ = fresh
    gid = "r" + uuid.uuid4().hex[:8]
    rng = np.random.default_rng(5)
    rows, lengths = [], []
    for i in range(600):  # ten hours, three keys; longer texts and German in the second five hours
        found = []
        if i % 4 == 0:
            found.append(finding("contentPolicy", "HATE", "BLOCKED", round(float(rng.uniform(0.5, 1.0)), 4)))
        if i % 9 == 0:
            found.append(finding("languagePolicy", "UNSUPPORTED_LANGUAGE", "NONE", 0.8, language="de"))
        lengths.append(int(rng.lognormal(5 + (i >= 300), 0.4)))
        rows.append(
            record(
                gid, BASE + timedelta(minutes=i), findings=found, text_length=lengths[-1], caller=f"K{i % 3}"
            )
        )
    store(engine, rows)
    scopes = (AuditScope(guardrail_id=gid), AuditScope(guardrail_id=gid, caller_key_id="K1"))
    windows = {
        "reference": (BASE - timedelta(minutes=30), BASE + timedelta(hours=5)),
        "current": (BASE + timedelta(hours=5), BASE + timedelta(hours=10, minutes=20)),
    }
    from_records = [drift_report(sessions, scope=scope, **windows) for scope in scopes]
    catch_up(sessions, NOW)
    assert rolled_span(sessions, *windows["reference"]) is not None
    assert [drift_report(sessions, scope=scope, **windows) for scope in scopes] == from_records
    features = {f["feature"]: f for f in from_records[0]["features"]}
    assert from_records[0]["reference"]["records"] == from_records[0]["current"]["records"] == 300
    assert features["textLength"]["referenceMean"] == round(float(np.mean(lengths[:300])), 4)
    assert features["textLength"]["currentMean"] == round(float(np.mean(lengths[300:])), 4)
    assert features["textLength"]["psiLevel"] == "significant" and features["textLength"]["ksShift"]
    assert features["languageMix"]["current"] == {"supported": 300 - 33, "de": 33}
    assert features["score:HATE"]["referenceShare"] == features["score:HATE"]["currentShare"] == 0.25
    assert features["score:HATE"]["ksShift"] is False  # the same score distribution on both sides
    # a record reaching a rolled hour late: drift goes back to the records, and is exact again after a rebuild
    store(engine, [record(gid, BASE + timedelta(minutes=5), text_length=5000)])
    late = drift_report(sessions, scope=scopes[0], **windows)
    assert late["reference"]["records"] == 301
    rebuild(sessions, BASE, NOW)
    assert drift_report(sessions, scope=scopes[0], **windows) == late
