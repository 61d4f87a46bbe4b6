from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy.orm import Session, sessionmaker

from steward.audit.record import AuditRecord
from steward.audit.search import AuditQuery, count, export, search
from steward.audit.writer import AuditWriter
from steward.errors import InputError, StorageError
from steward.store.db import make_engine, session_factory


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


def _record(gid: str, **kw: object) -> AuditRecord:
    base: dict[str, object] = {
        "request_id": uuid.uuid4().hex,
        "endpoint": "apply",
        "source": "input",
        "action": "NONE",
        "guardrail_id": gid,
        "version": "1",
    }
    base.update(kw)
    return AuditRecord(**base)  # type: ignore[arg-type]


def test_writer_stores_everything_in_batches_and_flushes_on_close(sessions: sessionmaker[Session]) -> None:
    gid = "w" + uuid.uuid4().hex[:8]
    writer = AuditWriter(sessions.kw["bind"], batch=64)
    for _ in range(1000):
        writer.submit(_record(gid))
    writer.close()
    assert writer.written == 1000
    assert count(sessions, AuditQuery(guardrail_id=gid)) == 1000
    with pytest.raises(StorageError, match="closed"):
        writer.submit(_record(gid))


def test_a_duplicate_request_id_does_not_lose_the_rest(sessions: sessionmaker[Session]) -> None:
    gid = "d" + uuid.uuid4().hex[:8]
    dup = _record(gid)
    writer = AuditWriter(sessions.kw["bind"], batch=100)
    writer.submit(dup)
    writer.flush()
    for record in (_record(gid), dup, _record(gid)):
        writer.submit(record)
    writer.close()
    assert count(sessions, AuditQuery(guardrail_id=gid)) == 3


def test_search_filters_and_pages(sessions: sessionmaker[Session]) -> None:
    gid = "s" + uuid.uuid4().hex[:8]
    old = datetime.now(UTC) - timedelta(days=2)
    records = [
        _record(gid, action="GUARDRAIL_INTERVENED", findings=({"type": "EMAIL"},), created_at=old),
        _record(gid, action="GUARDRAIL_INTERVENED", findings=({"type": "HATE"},), source="output"),
        _record(gid, findings=({"type": "EMAILISH"},)),
        _record(gid),
    ]
    writer = AuditWriter(sessions.kw["bind"])
    for r in records:
        writer.submit(r)
    writer.close()

    def ids(**kw: object) -> set[str]:
        page = search(sessions, AuditQuery(guardrail_id=gid, **kw))  # type: ignore[arg-type]
        return {r["requestId"] for r in page["records"]}

    rid = [r.request_id for r in records]
    assert ids(action="GUARDRAIL_INTERVENED") == {rid[0], rid[1]}
    assert ids(finding_type="EMAIL") == {rid[0]}
    assert ids(finding_type="email") == {rid[0]}
    assert ids(source="output") == {rid[1]}
    assert ids(since=datetime.now(UTC) - timedelta(days=1)) == set(rid[1:])
    assert ids(until=datetime.now(UTC) - timedelta(days=1)) == {rid[0]}
    first = search(sessions, AuditQuery(guardrail_id=gid, limit=3))
    assert len(first["records"]) == 3 and first["next"] is not None
    rest = search(sessions, AuditQuery(guardrail_id=gid, limit=3, before_id=first["next"]))
    assert [r["requestId"] for r in rest["records"]] == [rid[0]]
    assert rest["next"] is None


def test_export_jsonl_and_csv(sessions: sessionmaker[Session]) -> None:
    gid = "e" + uuid.uuid4().hex[:8]
    writer = AuditWriter(sessions.kw["bind"])
    for i in range(5):
        writer.submit(
            _record(gid, action_reason=f'reason, "quoted" {i}', findings=({"type": "EMAIL", "start": i},))
        )
    writer.close()
    lines = list(export(sessions, AuditQuery(guardrail_id=gid), fmt="jsonl"))
    parsed = [orjson.loads(line) for line in lines]
    assert [p["findings"][0]["start"] for p in parsed] == [0, 1, 2, 3, 4]
    import csv
    import io

    rows = list(
        csv.DictReader(io.StringIO("".join(export(sessions, AuditQuery(guardrail_id=gid), fmt="csv"))))
    )
    assert len(rows) == 5
    assert rows[2]["actionReason"] == 'reason, "quoted" 2'
    assert rows[0]["findingTypes"] == "EMAIL"
    with pytest.raises(InputError):
        list(export(sessions, AuditQuery(), fmt="xml"))


def test_search_by_the_policy_a_finding_came_from(sessions: sessionmaker[Session]) -> None:
    gid = "p" + uuid.uuid4().hex[:8]

    def finding(policy: str, kind: str, action: str = "BLOCKED") -> dict[str, object]:
        return {"policy": policy, "type": kind, "action": action}

    records = {
        "pii": _record(gid, findings=(finding("sensitiveInformationPolicy", "EMAIL", "ANONYMIZED"),)),
        "topic+word": _record(
            gid, findings=(finding("topicPolicy", "Refunds"), finding("wordPolicy", "PROFANITY", "NONE"))
        ),
        "content": _record(gid, findings=(finding("contentPolicy", "PROMPT_ATTACK"),)),
        "none": _record(gid),
    }
    writer = AuditWriter(sessions.kw["bind"])
    for record in records.values():
        writer.submit(record)
    writer.close()
    by_id = {r.request_id: name for name, r in records.items()}

    def found(policy: str, **kw: object) -> list[str]:
        page = search(sessions, AuditQuery(guardrail_id=gid, policy=policy, **kw))  # type: ignore[arg-type]
        return sorted(by_id[r["requestId"]] for r in page["records"])

    assert found("pii") == found("sensitiveInformationPolicy") == found("PII") == ["pii"]
    assert found("topic") == found("word") == ["topic+word"]  # a report-only finding counts too
    assert found("content") == ["content"] and found("grounding") == []
    assert (
        found("word", finding_type="PROFANITY") == ["topic+word"]
        and found("word", finding_type="EMAIL") == []
    )
    assert count(sessions, AuditQuery(guardrail_id=gid, policy="topic")) == 1
    exported = [orjson.loads(line) for line in export(sessions, AuditQuery(guardrail_id=gid, policy="pii"))]
    assert [by_id[r["requestId"]] for r in exported] == ["pii"]


def test_bad_queries_name_the_field() -> None:
    with pytest.raises(InputError, match="limit"):
        AuditQuery(limit=0)
    with pytest.raises(InputError, match="type"):
        AuditQuery(finding_type="A,B")
    with pytest.raises(InputError, match="^policy: must be one of content, topic, word, pii, grounding"):
        AuditQuery(policy="personal")


def test_prune_deletes_only_older_records(sessions: sessionmaker[Session]) -> None:
    from steward.audit.retention import prune

    gid = "p" + uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    writer = AuditWriter(sessions.kw["bind"])
    for age_days in (40, 35, 1, 0):
        writer.submit(_record(gid, created_at=now - timedelta(days=age_days)))
    writer.close()
    cutoff = now - timedelta(days=30)
    older_elsewhere = count(sessions, AuditQuery(until=cutoff)) - 2
    assert prune(sessions, before=cutoff) == older_elsewhere + 2
    assert count(sessions, AuditQuery(guardrail_id=gid)) == 2
    assert prune(sessions, before=cutoff.replace(tzinfo=None)) == 0
