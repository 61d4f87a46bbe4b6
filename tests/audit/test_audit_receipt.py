"""Provenance receipts kept with the audit record they cover, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy.orm import Session, sessionmaker

from steward.audit.chain import chain_key, verify
from steward.audit.record import AuditRecord
from steward.audit.search import AuditQuery, export, search
from steward.audit.writer import RECEIPT_MAX_CHARS, AuditWriter
from steward.store.db import make_engine, session_factory, upgrade


@pytest.fixture
def sessions(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(fresh_db_url)  # every migration, 0010_audit_receipt's column included
    engine = make_engine(fresh_db_url)
    yield session_factory(engine)
    engine.dispose()


def _record(gid: str, request_id: str) -> AuditRecord:
    return AuditRecord(
        request_id=request_id,
        endpoint="/v1/chat/completions",
        source="output",
        action="NONE",
        guardrail_id=gid,
    )


def test_a_receipt_lands_on_its_record_and_shows_in_search_and_export(
    sessions: sessionmaker[Session],
) -> None:
    gid = "r" + uuid.uuid4().hex[:8]
    key = chain_key(b"k" * 32)
    writer = AuditWriter(sessions.kw["bind"], chain_key=key)
    covered, plain = f"{gid}-out-0", f"{gid}-in-0"
    writer.submit(_record(gid, plain))
    writer.submit(_record(gid, covered))
    writer.add_receipt(covered, "eyJhbGciOiJFZERTQSJ9.eyJ0IjoxfQ.c2ln")
    writer.add_receipt("no-such-record", "eyJ.eyJ.c2ln")  # nothing to attach to: nothing stored, no error
    writer.add_receipt(covered + "x", "x" * (RECEIPT_MAX_CHARS + 1))  # over the limit: refused
    writer.close()
    records = {r["requestId"]: r for r in search(sessions, AuditQuery(guardrail_id=gid))["records"]}
    assert records[covered]["receipt"] == "eyJhbGciOiJFZERTQSJ9.eyJ0IjoxfQ.c2ln"
    assert records[plain]["receipt"] is None
    lines = [orjson.loads(line) for line in export(sessions, AuditQuery(guardrail_id=gid), fmt="jsonl")]
    assert {r["requestId"]: r["receipt"] for r in lines} == {
        plain: None,
        covered: records[covered]["receipt"],
    }
    rows = list(
        csv.DictReader(io.StringIO("".join(export(sessions, AuditQuery(guardrail_id=gid), fmt="csv"))))
    )
    assert {r["requestId"]: r["receipt"] for r in rows}[covered] == records[covered]["receipt"]
    # The receipt is outside the chain's digest: the chain still verifies after it was added.
    assert verify(sessions, key).intact


def test_a_receipt_that_arrives_before_its_record_waits_for_it(sessions: sessionmaker[Session]) -> None:
    # A streamed answer is signed in its last chunk, before its decision is recorded.
    gid = "s" + uuid.uuid4().hex[:8]
    writer = AuditWriter(sessions.kw["bind"])
    writer.add_receipt(f"{gid}-out-0", "eyJ.early.c2ln")
    writer.flush()
    for i in range(3):  # usually one insert, rows with and without a waiting receipt
        writer.submit(_record(gid, f"{gid}-out-{i}"))
    writer.close()
    records = {
        r["requestId"]: r["receipt"] for r in search(sessions, AuditQuery(guardrail_id=gid))["records"]
    }
    assert records == {f"{gid}-out-0": "eyJ.early.c2ln", f"{gid}-out-1": None, f"{gid}-out-2": None}
