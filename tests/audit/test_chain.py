from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from steward.audit.chain import chain_key, verify
from steward.audit.record import AuditRecord
from steward.audit.retention import prune
from steward.audit.writer import AuditWriter
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.models.core import AuditRow

KEY = chain_key(b"0" * 44)


@pytest.fixture
def sessions(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield session_factory(engine)
    engine.dispose()


def _record(**kw: object) -> AuditRecord:
    base: dict[str, object] = {
        "request_id": uuid.uuid4().hex,
        "endpoint": "apply",
        "source": "input",
        "action": "GUARDRAIL_INTERVENED",
        "guardrail_id": "g",
        "version": "1",
        "findings": ({"type": "EMAIL", "start": 3, "end": 9, "score": 0.99, "match": "a…[6 chars]"},),
        "latency_ms": 1.234,
    }
    base.update(kw)
    return AuditRecord(**base)  # type: ignore[arg-type]


def _write(sessions: sessionmaker[Session], n: int, *, key: bytes | None = KEY, **kw: object) -> None:
    writer = AuditWriter(sessions.kw["bind"], batch=7, chain_key=key)
    for _ in range(n):
        writer.submit(_record(**kw))
    writer.close()


def test_an_untouched_trail_verifies(sessions: sessionmaker[Session]) -> None:
    _write(sessions, 30)
    _write(sessions, 5)  # a second writer process: its own chain
    _write(sessions, 2, key=None)  # a writer without the key leaves records unchained
    result = verify(sessions, KEY)
    assert result.intact, result.problems
    assert (result.records, result.verified, result.chains, result.unchained) == (37, 35, 2, 2)


def test_a_changed_record_is_found(sessions: sessionmaker[Session]) -> None:
    _write(sessions, 10)
    with sessions() as session:
        target = session.query(AuditRow).filter(AuditRow.chain_seq == 4).one()
        session.execute(update(AuditRow).where(AuditRow.id == target.id).values(action="NONE"))
        session.commit()
    result = verify(sessions, KEY)
    assert not result.intact
    assert result.problems == [f"record {target.id} (chain {target.chain_id} #4) was changed or forged"]


def test_a_deleted_record_is_found(sessions: sessionmaker[Session]) -> None:
    _write(sessions, 10)
    with sessions() as session:
        session.execute(delete(AuditRow).where(AuditRow.chain_seq == 6))
        session.commit()
    result = verify(sessions, KEY)
    assert len(result.problems) == 1 and "missing" in result.problems[0] and "#5 and #7" in result.problems[0]


def test_another_key_cannot_vouch_for_the_records(sessions: sessionmaker[Session]) -> None:
    _write(sessions, 3)
    assert len(verify(sessions, chain_key(b"1" * 44)).problems) == 3


def test_pruning_old_records_keeps_the_trail_verifiable(sessions: sessionmaker[Session]) -> None:
    old = datetime.now(UTC) - timedelta(days=100)
    writer = AuditWriter(sessions.kw["bind"], batch=3, chain_key=KEY)
    for i in range(10):
        writer.submit(_record(created_at=old if i < 4 else datetime.now(UTC)))
    writer.close()
    assert prune(sessions, before=datetime.now(UTC) - timedelta(days=30)) == 4
    result = verify(sessions, KEY)
    assert result.intact and result.verified == 6


def test_a_duplicate_does_not_break_the_chain(sessions: sessionmaker[Session]) -> None:
    dup = _record()
    writer = AuditWriter(sessions.kw["bind"], batch=10, chain_key=KEY)
    writer.submit(dup)
    writer.flush()
    for record in (_record(), dup, _record()):
        writer.submit(record)
    writer.close()
    result = verify(sessions, KEY)
    assert result.intact and result.verified == 3
