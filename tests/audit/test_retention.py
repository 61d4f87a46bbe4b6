"""Retention: pruning by age per kind and guardrail, checkpoints, crypto-shredding, forgetting a subject.

Each test has a migrated database of its own (SQLite and PostgreSQL): retention walks every
record and every data key in the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.audit.chain import chain_key, verify
from steward.audit.record import AuditRecord
from steward.audit.retention import RetentionRules, enforce, forget_subject, kind_periods
from steward.audit.search import AuditQuery, search
from steward.audit.writer import AuditWriter
from steward.cli import main
from steward.errors import InputError, NotFoundError
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.envelope import Envelope, LocalKeyProvider, shred
from steward.store.models.core import AuditRow
from steward.store.models.keys import DataKey
from steward.store.models.retention import AuditCheckpoint
from steward.store.models.review import Feedback, ReviewItem
from steward.store.review import ReviewStore
from steward.store.sealing import Sealer

SERVER_KEY = Fernet.generate_key()
KEY = chain_key(SERVER_KEY)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def sessions(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def sealer(sessions: sessionmaker[Session]) -> Sealer:
    return Sealer(SERVER_KEY, envelope=Envelope(sessions, LocalKeyProvider(server_key=SERVER_KEY)))


def _record(guardrail: str, age_days: int, *, match: str = "a…[6 chars]", keep: bool = False) -> AuditRecord:
    return AuditRecord(
        request_id=uuid.uuid4().hex,
        endpoint="apply",
        source="input",
        action="GUARDRAIL_INTERVENED",
        guardrail_id=guardrail,
        version="1",
        findings=({"type": "EMAIL", "start": 0, "end": 6, "score": 0.9, "match": match},),
        created_at=NOW - timedelta(days=age_days),
        keeps_text=keep,
    )


def _write(sessions: sessionmaker[Session], records: list[AuditRecord], sealer: Sealer | None = None) -> None:
    writer = AuditWriter(sessions.kw["bind"], batch=5, chain_key=KEY, sealer=sealer)
    for record in records:
        writer.submit(record)
    writer.close()


def _interleaved() -> list[AuditRecord]:
    """g1 and g2 records in one chain, old and new mixed, so pruning g1 cuts holes mid-chain."""
    return [_record("g1" if n % 2 else "g2", 40 if n < 12 else 1) for n in range(20)]


def test_per_guardrail_retention_prunes_mid_chain_and_the_chain_still_verifies(
    sessions: sessionmaker[Session],
) -> None:
    _write(sessions, _interleaved())
    rules = RetentionRules(kinds={"audit": None}, guardrails={("audit", "g1"): 30})
    report = enforce(sessions, rules, chain_key=KEY, now=NOW)
    assert report.audit == 6 and report.checkpoints == 6  # the six old g1 records, each between kept g2 ones
    with sessions() as session:
        left = list(session.execute(select(AuditRow.guardrail_id, AuditRow.created_at)))
    assert len(left) == 14 and all(
        g == "g2" or c.replace(tzinfo=UTC) > NOW - timedelta(days=30) for g, c in left
    )
    result = verify(sessions, KEY)
    assert result.intact, result.problems
    assert (result.verified, result.pruned) == (14, 6)
    assert enforce(sessions, rules, chain_key=KEY, now=NOW).audit == 0  # nothing more to do


def test_a_deletion_without_a_checkpoint_is_still_reported(sessions: sessionmaker[Session]) -> None:
    _write(sessions, _interleaved())
    rules = RetentionRules(kinds={"audit": None}, guardrails={("audit", "g1"): 30})
    enforce(sessions, rules, chain_key=KEY, now=NOW)
    with sessions() as session:  # someone deletes a kept record by hand
        victim = session.scalar(select(AuditRow.id).where(AuditRow.chain_seq == 15))
        session.execute(delete(AuditRow).where(AuditRow.id == victim))
        session.commit()
    result = verify(sessions, KEY)
    assert not result.intact and any("records missing" in p for p in result.problems)


def test_a_forged_checkpoint_is_reported(sessions: sessionmaker[Session]) -> None:
    _write(sessions, _interleaved())
    enforce(sessions, RetentionRules(guardrails={("audit", "g1"): 30}), chain_key=KEY, now=NOW)
    with sessions() as session:
        session.execute(update(AuditCheckpoint).where(AuditCheckpoint.seq_from == 2).values(seq_to=3))
        session.commit()
    result = verify(sessions, KEY)
    assert any("checkpoint" in p and "forged" in p for p in result.problems)


def test_kind_default_prunes_the_start_of_every_chain(sessions: sessionmaker[Session]) -> None:
    _write(sessions, _interleaved())
    report = enforce(sessions, RetentionRules(kinds={"audit": 30}), chain_key=KEY, now=NOW)
    assert report.audit == 12 and report.checkpoints == 1  # one run: positions 1..12
    result = verify(sessions, KEY)
    assert result.intact and result.verified == 8


def test_kept_matched_text_is_sealed_readable_and_gone_once_its_key_is_shredded(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    _write(sessions, [_record("g1", 0, match="alice@example.com", keep=True)], sealer)
    with sessions() as session:
        stored = session.scalar(select(AuditRow.findings))
    assert stored is not None and "alice" not in json.dumps(stored) and stored[0]["matchSealed"] is True
    page = search(sessions, AuditQuery(), sealer=sealer)
    assert page["records"][0]["findings"][0]["match"] == "alice@example.com"
    assert verify(sessions, KEY).intact  # the digest covers the ciphertext
    with sessions() as session:
        scope_day = session.execute(select(DataKey.scope, DataKey.day)).one()
    assert scope_day[0] == "audit:g1"
    shred(sessions, scope="audit:g1", before=datetime.now(UTC).date() + timedelta(days=1))
    assert sealer.envelope is not None
    sealer.envelope.forget()  # as a server would after its key cache expires
    finding = search(sessions, AuditQuery(), sealer=sealer)["records"][0]["findings"][0]
    assert finding["match"] is None and finding["matchRemoved"] is True
    assert verify(sessions, KEY).intact  # shredding leaves the chain whole


def test_a_writer_without_a_sealer_keeps_no_clear_text(sessions: sessionmaker[Session]) -> None:
    _write(sessions, [_record("g1", 0, match="alice@example.com", keep=True)])
    with sessions() as session:
        stored = session.scalar(select(AuditRow.findings))
    assert stored is not None and stored[0]["match"] is None


def _add_feedback(store: ReviewStore, user: str | None, text: str = "the answer was wrong") -> str:
    return store.add_feedback(
        request_id=uuid.uuid4().hex, rating=-1, category=None, text=text, user_hash=user, caller="k"
    )


def _add_item(store: ReviewStore, *, text: str) -> str:
    now = datetime.now(UTC)
    return store.add_item(
        {
            "request_id": uuid.uuid4().hex,
            "guardrail_id": "g1",
            "version": "1",
            "source": "INPUT",
            "policy_name": "p",
            "action": "NONE",
            "blocked": False,
            "reason": "appeal",
            "findings": [],
            "four_eyes": False,
            "due_at": now + timedelta(days=1),
            "expires_at": now + timedelta(days=90),
        },
        text=text,
        actor="system",
    )


def test_expired_feedback_and_reviews_are_deleted_and_their_keys_shredded(
    sessions: sessionmaker[Session], sealer: Sealer
) -> None:
    store = ReviewStore(sessions, sealer)
    _add_feedback(store, None)
    item = _add_item(store, text="my message")
    later = datetime.now(UTC) + timedelta(days=40)
    # Not yet: a period longer than the data's age removes nothing.
    report = enforce(sessions, RetentionRules(kinds={"feedback": 60, "review": 60}), chain_key=KEY, now=later)
    assert (report.feedback, report.review_items, report.shredded_keys) == (0, 0, 0)
    assert store.list_feedback()[0].text == "the answer was wrong"
    # Expired: rows go, and today's feedback and review data keys are shredded.
    report = enforce(sessions, RetentionRules(kinds={"feedback": 30, "review": 30}), chain_key=KEY, now=later)
    assert (report.feedback, report.review_items) == (1, 1) and report.shredded_keys == 2
    assert store.list_feedback() == []
    with sessions() as session:
        shredded = set(session.scalars(select(DataKey.scope).where(DataKey.wrapped.is_(None))))
    assert shredded == {"feedback", "review:g1"}
    with pytest.raises(NotFoundError):
        store.get_item(item)


def test_a_shredded_key_shows_the_text_as_removed(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    store = ReviewStore(sessions, sealer)
    _add_feedback(store, None)
    shred(sessions, scope="feedback", before=datetime.now(UTC).date() + timedelta(days=1))
    assert sealer.envelope is not None
    sealer.envelope.forget()
    (record,) = store.list_feedback()
    assert record.text is None and record.rating == -1  # the text is gone; the rest stays


def test_forget_subject_deletes_only_that_users_data(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    store = ReviewStore(sessions, sealer)
    _add_feedback(store, "h-alice")
    _add_feedback(store, "h-bob")
    item = _add_item(store, text="alice's message")
    store.add_appeal(
        request_id=uuid.uuid4().hex, item_id=item, user_hash="h-alice", reason="unfair", caller="k"
    )
    report = forget_subject(sessions, "h-alice")
    assert (report.feedback, report.appeals, report.review_items) == (1, 1, 1)
    with sessions() as session:
        users = list(session.scalars(select(Feedback.user_hash)))
        items = session.scalar(select(func.count()).select_from(ReviewItem))
    assert users == ["h-bob"] and items == 0
    assert forget_subject(sessions, "h-alice").total == 0


def test_rules_come_from_the_environment_and_policies(sessions: sessionmaker[Session]) -> None:
    assert kind_periods({"STEWARD_RETENTION_AUDIT_DAYS": "30"}) == {
        "audit": 30,
        "review": None,
        "feedback": None,
    }
    for bad in ("soon", "0", "99999999"):
        with pytest.raises(InputError, match="STEWARD_RETENTION_FEEDBACK_DAYS"):
            kind_periods({"STEWARD_RETENTION_FEEDBACK_DAYS": bad})
    from steward.policy import load_policy
    from steward.store.guardrails import GuardrailStore

    base = load_policy("default")
    policy = base.model_copy(update={"audit": base.audit.model_copy(update={"retention_days": 7})})
    GuardrailStore(sessions).create("short", policy, name="short")
    rules = RetentionRules.load(sessions, {"STEWARD_RETENTION_AUDIT_DAYS": "365"})
    assert rules.for_scope("audit:short") == 7 and rules.for_scope("audit:other") == 365
    assert rules.for_scope("review:short") == policy.review.retention_days
    assert rules.for_scope("keys") is None


def test_cli_prune_and_forget_subject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    monkeypatch.setenv("STEWARD_RETENTION_FEEDBACK_DAYS", "30")
    from steward.app.context import local_app as open_stores
    from steward.review.queue import ReviewQueue
    from steward.review.voice import Voice, user_key

    with open_stores(create=True) as stores:
        voice = Voice(ReviewQueue.over(stores.sessions, stores.keys.sealer), user_key(stores.server_key))
        voice.store.write(
            [
                voice.new_feedback(
                    request_id="r1", rating=-1, caller="k", text="bad", user_id="alice@example.com"
                ),
                voice.new_feedback(
                    request_id="r2", rating=1, caller="k", text="good", user_id="bob@example.com"
                ),
            ]
        )
        with stores.sessions() as session:  # bob's feedback is 31 days old
            session.execute(
                update(Feedback)
                .where(Feedback.request_id == "r2")
                .values(created_at=datetime.now(UTC) - timedelta(days=31))
            )
            session.commit()
    runner = CliRunner()
    pruned = runner.invoke(main, ["db", "prune", "--json"])
    assert pruned.exit_code == 0, pruned.output
    assert json.loads(pruned.output)["feedback"] == 1
    forgot = runner.invoke(main, ["db", "forget-subject", "alice@example.com", "--json"])
    assert forgot.exit_code == 0, forgot.output
    assert json.loads(forgot.output)["feedback"] == 1
    assert json.loads(
        runner.invoke(main, ["db", "forget-subject", "alice@example.com", "--json"]).output
    ) == {
        "reviewItems": 0,
        "feedback": 0,
        "appeals": 0,
    }
    too_long = runner.invoke(main, ["db", "forget-subject", "x" * 300])
    assert too_long.exit_code == 5 and "userId" in too_long.output and "Traceback" not in too_long.output
    monkeypatch.setenv("STEWARD_RETENTION_AUDIT_DAYS", "soon")
    bad = runner.invoke(main, ["db", "prune"])
    assert (
        bad.exit_code == 5 and "STEWARD_RETENTION_AUDIT_DAYS" in bad.output and "Traceback" not in bad.output
    )


def test_the_server_enforces_retention_on_its_schedule(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from steward.server.app import create_app
    from steward.settings import Settings

    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    monkeypatch.setenv("STEWARD_RETENTION_FEEDBACK_DAYS", "30")
    app = create_app(Settings(database_url=fresh_db_url, data_dir=tmp_path))
    state = app.state.steward
    store = ReviewStore(state.sessions, state.keys.sealer)
    old = _add_feedback(store, None)
    _add_feedback(store, None, text="recent")
    with state.sessions() as session:
        session.execute(
            update(Feedback)
            .where(Feedback.id == old)
            .values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
        session.commit()
    removed = asyncio.run(app.state.review_purge.run_once())
    assert removed == 1 and [f.text for f in store.list_feedback()] == ["recent"]
    state.close()
    monkeypatch.setenv("STEWARD_RETENTION_AUDIT_DAYS", "soon")
    with pytest.raises(InputError, match="STEWARD_RETENTION_AUDIT_DAYS"):
        create_app(Settings(database_url=fresh_db_url, data_dir=tmp_path))


def test_a_record_whose_text_cannot_be_sealed_is_stored_without_it(sessions: sessionmaker[Session]) -> None:
    import base64

    from steward.store.envelope import generate_master_key

    other = Envelope(sessions, LocalKeyProvider(keys=[base64.b64decode(generate_master_key())]))
    other.encrypt("made first, under another master key", scope="audit:g1")
    wrong = Sealer(SERVER_KEY, envelope=Envelope(sessions, LocalKeyProvider(server_key=SERVER_KEY)))
    _write(sessions, [_record("g1", 0, match="alice@example.com", keep=True)], wrong)
    with sessions() as session:
        stored = session.scalar(select(AuditRow.findings))
    assert stored is not None and stored[0]["match"] is None  # kept, without the text, never in the clear
    assert verify(sessions, KEY).intact


def test_a_long_run_pruned_over_several_chunks_is_bridged_by_adjacent_checkpoints(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import steward.store.retention as retention_store

    ages = [1] * 3 + [40] * 10 + [1] * 3  # kept, ten to prune in the middle, kept
    _write(sessions, [_record("g1", age) for age in ages])
    monkeypatch.setattr(retention_store, "_CHUNK", 4)
    report = enforce(sessions, RetentionRules(kinds={"audit": 30}), chain_key=KEY, now=NOW)
    assert (report.audit, report.checkpoints) == (10, 3)  # chunks of 4, 4 and 2
    result = verify(sessions, KEY)
    assert result.intact, result.problems
    assert (result.verified, result.pruned) == (6, 10)
    with sessions() as session:  # drop the middle checkpoint: the gap is no longer vouched for
        session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.seq_from == 8))
        session.commit()
    assert not verify(sessions, KEY).intact
