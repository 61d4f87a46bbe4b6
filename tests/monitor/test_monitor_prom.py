"""Prometheus metrics: decisions counted through the audit writer, and the multiprocess mode."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from monitor_helpers import finding, record
from sqlalchemy import Engine

from steward.audit.writer import AuditWriter
from steward.monitor.prom import DECISIONS, FINDINGS, exposition, instrument_writer


def test_an_instrumented_writer_counts_decisions_and_still_stores_them(engine: Engine) -> None:
    writer = AuditWriter(engine)
    instrument_writer(writer)
    instrument_writer(writer)  # twice is once
    labels = ("apply", "input", "GUARDRAIL_INTERVENED")
    before = DECISIONS.labels(*labels)._value.get()
    hate_before = FINDINGS.labels("contentPolicy", "HATE", "BLOCKED")._value.get()
    gid = "p" + uuid.uuid4().hex[:8]
    writer.submit(
        record(gid, datetime.now(UTC), blocked=True, findings=[finding("contentPolicy", "HATE", "BLOCKED")])
    )
    writer.close()
    assert writer.written == 1
    assert DECISIONS.labels(*labels)._value.get() == before + 1
    assert FINDINGS.labels("contentPolicy", "HATE", "BLOCKED")._value.get() == hate_before + 1
    assert b"steward_audit_backlog 0.0" in exposition(writer)


_WORKER = """
import sys
from steward.monitor.prom import DECISIONS
DECISIONS.labels("apply", "input", "NONE").inc(int(sys.argv[1]))
"""
_SCRAPE = """
from steward.monitor.prom import exposition
print(exposition().decode())
"""


def test_multiprocess_mode_sums_every_workers_counts(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for n in ("3", "4"):  # two "workers", each its own process
        subprocess.run([sys.executable, "-c", _WORKER, n], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", _SCRAPE], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("steward_decisions_total{"))
    assert 'action="NONE"' in line and line.endswith(" 7.0")
