"""The review writer: rows leave the request path, are stored in batches, wait when the queue is
full, survive a database that fails for a moment, and are all stored at shutdown; end users'
feedback and appeals are answered only once committed, so a 2xx survives a SIGKILL and a row
that could not be stored answers 503 (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from review_helpers import headers
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from loopback_servers import spawn_steward, wait_ready
from steward.app.context import local_app
from steward.audit.record import AuditRecord
from steward.errors import NotFoundError, StorageError
from steward.review import Reason, ReviewQueue
from steward.review.voice import Voice
from steward.review.writer import ReviewWriter
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.keys import Role
from steward.store.models.core import AuditRow, utcnow
from steward.store.models.review import Feedback
from steward.store.review import NewAppeal, NewRow, ReviewStore, new_id


class Recording:
    """A review store that counts its batches and can be held or made to fail."""

    def __init__(self, store: ReviewStore, *, fail: int = 0) -> None:
        self.store = store
        self.batches: list[int] = []
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()

    def write(self, rows: Sequence[NewRow]) -> None:
        self.gate.wait(10)
        if self.fail > 0:
            self.fail -= 1
            raise OperationalError("INSERT", {}, Exception("the database is restarting"))
        self.store.write(rows)
        self.batches.append(len(rows))


@contextlib.asynccontextmanager
async def _ticking(gate: threading.Event) -> AsyncIterator[list[int]]:
    """Count the event loop's turns (one per 10 ms while it is free) during the body, in
    ``ticks[0]``: a blocked loop stops counting. A safety timer opens ``gate`` after 5 s, so a
    blocked loop fails the test instead of hanging it."""
    ticks = [0]

    async def ticker() -> None:
        while True:
            ticks[0] += 1
            await asyncio.sleep(0.01)

    safety = threading.Timer(5, gate.set)
    safety.start()
    task = asyncio.create_task(ticker())
    try:
        yield ticks
    finally:
        task.cancel()
        safety.cancel()


def _feedback(voice: Voice, n: int, tag: str) -> list[NewRow]:
    return [
        voice.new_feedback(request_id=tag, rating=1 + i % 5, caller="k", text=f"note {i}") for i in range(n)
    ]


def _stored(store: ReviewStore, tag: str) -> int:
    return len(store.list_feedback(request_id=tag, limit=1000))


def test_rows_queued_together_are_stored_in_few_transactions(queue: ReviewQueue, store: ReviewStore) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    recording = Recording(store)
    recording.gate.clear()  # hold the first batch so the rest queues behind it
    writer = ReviewWriter(recording, batch=100)  # type: ignore[arg-type]
    rows = _feedback(voice, 300, tag)
    for row in rows:
        writer.submit(row)
    recording.gate.set()
    assert writer.flush(10) and writer.pending == 0
    assert _stored(store, tag) == 300 and writer.written == 300
    assert sum(recording.batches) == 300 and len(recording.batches) <= 5  # not 300 commits
    assert max(recording.batches) == 100  # a batch never exceeds its size
    writer.close()


def test_items_and_their_appeals_keep_their_order_and_texts_are_sealed(
    queue: ReviewQueue, store: ReviewStore
) -> None:
    writer = ReviewWriter(store)
    item = queue.new_item(
        Reason.APPEAL, request_id="r-" + uuid.uuid4().hex, source="input", action="NONE", findings=[],
        text="my words", actor="k",
    )  # fmt: skip
    appeal = NewAppeal(new_id(), item.values["request_id"], item.id, None, "unfair", "k", utcnow())
    writer.submit(item)
    writer.submit(appeal)
    assert writer.flush(10)
    stored = store.get_item(item.id)
    assert (stored.text, stored.reason, stored.history[0].action) == ("my words", "appeal", "create")
    assert store.get_appeal(appeal.id).item_id == item.id
    writer.close()


def test_a_full_queue_makes_callers_wait_and_loses_nothing(queue: ReviewQueue, store: ReviewStore) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    recording = Recording(store)
    recording.gate.clear()
    writer = ReviewWriter(recording, batch=2, max_queue=4)  # type: ignore[arg-type]
    rows = _feedback(voice, 12, tag)
    done = threading.Event()

    def producer() -> None:
        for row in rows:
            writer.submit(row)
        done.set()

    thread = threading.Thread(target=producer)
    thread.start()
    time.sleep(0.3)
    assert not done.is_set()  # back-pressure: the producer waits for room
    assert writer.pending <= 4 + 2  # the queue's bound plus the batch the thread holds

    async def event_loop_side() -> None:
        # A full queue makes ``put`` wait in a worker thread: the event loop keeps running.
        async with _ticking(recording.gate) as ticks:
            put = asyncio.create_task(writer.put(voice.new_feedback(request_id=tag, rating=3, caller="k")))
            await asyncio.sleep(0.2)
            assert not put.done() and ticks[0] >= 2
            recording.gate.set()
            await put

    asyncio.run(event_loop_side())
    thread.join(10)
    assert done.is_set() and writer.flush(10)
    assert _stored(store, tag) == 13
    writer.close()


def test_a_database_failing_for_a_moment_loses_nothing(
    queue: ReviewQueue, store: ReviewStore, caplog: pytest.LogCaptureFixture
) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    writer = ReviewWriter(Recording(store, fail=2))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="steward.review.writer"):
        for row in _feedback(voice, 5, tag):
            writer.submit(row)
        assert writer.flush(10)
    assert _stored(store, tag) == 5
    assert caplog.text.count("OperationalError") == 2 and "note" not in caplog.text  # never a text
    writer.close()


def test_a_row_the_database_refuses_does_not_take_the_batch_with_it(
    queue: ReviewQueue, store: ReviewStore, caplog: pytest.LogCaptureFixture
) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    recording = Recording(store)
    recording.gate.clear()
    writer = ReviewWriter(recording)  # type: ignore[arg-type]
    orphan = NewAppeal(new_id(), tag, "no-such-item", None, "unfair", "k", utcnow())  # its item is missing
    rows = _feedback(voice, 3, tag)
    for row in (rows[0], orphan, *rows[1:]):
        writer.submit(row)
    with caplog.at_level(logging.ERROR, logger="steward.review.writer"):
        recording.gate.set()
        assert writer.flush(10)
    assert _stored(store, tag) == 3
    assert f"review row {orphan.id} (NewAppeal) refused" in caplog.text
    writer.close()


def test_close_stores_everything_queued_and_refuses_what_comes_after(
    queue: ReviewQueue, store: ReviewStore
) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    recording = Recording(store)
    recording.gate.clear()
    writer = ReviewWriter(recording, batch=7)  # type: ignore[arg-type]
    for row in _feedback(voice, 50, tag):
        writer.submit(row)
    threading.Timer(0.2, recording.gate.set).start()
    writer.close()
    assert _stored(store, tag) == 50 and writer.pending == 0
    with pytest.raises(StorageError, match="shutting down"):
        writer.submit(_feedback(voice, 1, tag)[0])


def test_the_server_stores_queued_rows_when_it_shuts_down(
    package_db_url: str, tmp_path: Path, review_key: bytes
) -> None:
    settings = Settings(database_url=package_db_url, data_dir=tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_SECRET_KEY", review_key.decode("ascii"))
        app = create_app(settings)
    tag = uuid.uuid4().hex
    with TestClient(app):
        writer: ReviewWriter = app.state.review_services.writer
        voice = Voice(app.state.review_services.queue, b"k" * 32)
        gate = threading.Event()
        store = writer._store
        real = store.write

        def held(rows: Sequence[NewRow]) -> None:
            gate.wait(10)
            real(rows)

        store.write = held  # type: ignore[method-assign]
        # Fire-and-forget rows, as the guard's own decisions queue their review items.
        for row in _feedback(voice, 40, tag):
            writer.submit(row)
        assert writer.pending > 0  # queued, not yet stored
        threading.Timer(0.2, gate.set).start()
    # The lifespan closed the writer: every queued row is stored.
    with app.state.steward.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Feedback).where(Feedback.request_id == tag))
    assert count == 40 and writer.pending == 0
    with pytest.raises(StorageError, match="shutting down"):  # closed by the server's lifespan
        writer.submit(_feedback(voice, 1, tag)[0])


# -- acknowledged rows: answered once committed ------------------------------------------------


def _decision(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    """A decision made for the ``app`` key, queued on the server's audit writer."""
    request_id = uuid.uuid4().hex
    client.app.state.steward.audit.submit(  # type: ignore[attr-defined]
        AuditRecord(
            request_id=request_id, endpoint="apply", source="input", action="NONE",
            caller_key_id=keys["app"]["x-key-id"],
        )
    )  # fmt: skip
    return request_id


def test_store_returns_once_the_batch_committed_and_never_blocks_the_loop(
    queue: ReviewQueue, store: ReviewStore
) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    recording = Recording(store)
    recording.gate.clear()  # the first batch is held: nothing commits
    writer = ReviewWriter(recording)  # type: ignore[arg-type]
    rows = _feedback(voice, 30, tag)

    async def event_loop_side() -> int:
        async with _ticking(recording.gate) as ticks:
            stores = [asyncio.create_task(writer.store(row)) for row in rows]
            await asyncio.sleep(0.3)
            assert not any(task.done() for task in stores)  # not answered before the commit
            assert ticks[0] >= 5 and _stored(store, tag) == 0  # the loop kept running meanwhile
            recording.gate.set()
            await asyncio.gather(*stores)
        return _stored(store, tag)  # read at once, no flush: every answered row is there

    assert asyncio.run(event_loop_side()) == 30
    assert len(recording.batches) <= 3  # still group commit: not one commit per row
    writer.close()


def test_rows_the_database_refuses_fail_their_caller_and_spare_the_others(
    queue: ReviewQueue, store: ReviewStore
) -> None:
    voice, tag = Voice(queue, b"k" * 32), uuid.uuid4().hex
    recording = Recording(store)
    recording.gate.clear()
    writer = ReviewWriter(recording)  # type: ignore[arg-type]
    good = _feedback(voice, 2, tag)
    orphan = NewAppeal(new_id(), tag, "no-such-item", None, "unfair", "k", utcnow())  # its item is missing

    async def both() -> list[BaseException | None]:
        tasks = [asyncio.create_task(writer.store(row)) for row in (good[0], orphan, good[1])]
        await asyncio.sleep(0.1)  # all three queued: they share the held batch
        recording.gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    first, refused, last = asyncio.run(both())
    assert first is None and last is None
    assert isinstance(refused, StorageError) and "nothing was stored" in str(refused)
    assert _stored(store, tag) == 2
    with pytest.raises(NotFoundError):
        store.get_appeal(orphan.id)
    writer.close()


def test_a_database_down_past_the_patience_answers_nothing_stored_and_keeps_the_rest(
    queue: ReviewQueue, store: ReviewStore
) -> None:
    voice, tag, late = Voice(queue, b"k" * 32), uuid.uuid4().hex, uuid.uuid4().hex
    recording = Recording(store, fail=6)  # about 3 s of failures (0.05 s, doubling), then it is back
    recording.gate.clear()
    writer = ReviewWriter(recording, patience=0.3)  # type: ignore[arg-type]
    (waited,) = _feedback(voice, 1, tag)
    forgotten = _feedback(voice, 3, late)  # fire-and-forget rows in the same batch

    async def send() -> BaseException | None:
        task = asyncio.create_task(writer.store(waited))
        await asyncio.sleep(0)  # queued first
        for row in forgotten:
            await writer.put(row)
        await asyncio.sleep(0.05)
        recording.gate.set()
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        # Told once its patience ran out, while the database was still failing.
        assert _stored(store, late) == 0
        return outcome

    outcome = asyncio.run(send())
    assert isinstance(outcome, StorageError) and "nothing was stored" in str(outcome)
    assert writer.flush(10)
    assert _stored(store, tag) == 0  # what its caller was told
    assert _stored(store, late) == 3  # the others were retried until the database came back
    writer.close()


def test_every_acknowledged_feedback_and_appeal_is_readable_right_after_its_answer(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    writer: ReviewWriter = review_app.app.state.review_services.writer  # type: ignore[attr-defined]
    store = writer._store  # its own sessions: it sees what is committed, never the writer's queue
    request_id = _decision(review_app, review_keys)
    for i in range(20):
        r = review_app.post(
            "/v1/feedback",
            json={"requestId": request_id, "rating": 1 + i % 5, "text": f"note {i}"},
            headers=headers(review_keys, "app"),
        )
        assert r.status_code == 201, r.text
        # Read at once, no flush: the row was committed before the answer.
        assert r.json()["id"] in {f.id for f in store.list_feedback(request_id=request_id, limit=100)}
    r = review_app.post(
        "/v1/appeals", json={"requestId": request_id, "reason": "unfair"}, headers=headers(review_keys, "app")
    )
    assert r.status_code == 201, r.text
    appeal = store.get_appeal(r.json()["id"])
    assert store.get_item(appeal.item_id).reason == "appeal"


def test_feedback_and_appeals_the_database_refuses_answer_503_and_nothing_is_stored(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer: ReviewWriter = review_app.app.state.review_services.writer  # type: ignore[attr-defined]
    store = writer._store
    request_id = _decision(review_app, review_keys)

    def refuse(rows: Sequence[NewRow]) -> None:
        raise IntegrityError("INSERT", {}, Exception("the database refuses this row"))

    monkeypatch.setattr(writer._store, "write", refuse)
    r = review_app.post(
        "/v1/feedback", json={"requestId": request_id, "rating": 2}, headers=headers(review_keys, "app")
    )
    assert r.status_code == 503, r.text
    assert "nothing was stored" in r.json()["message"]
    r = review_app.post(
        "/v1/appeals", json={"requestId": request_id, "reason": "unfair"}, headers=headers(review_keys, "app")
    )
    assert r.status_code == 503 and "nothing was stored" in r.json()["message"]
    monkeypatch.undo()
    assert store.list_feedback(request_id=request_id, limit=10) == []
    assert [
        a for a in store.appeals_page(states=[], limit=1000).items if a.appeal.request_id == request_id
    ] == []


def _hold_feedback_writes(url: str, held: threading.Event, release: threading.Event) -> None:
    """From outside the server, lock the database against writes to ``feedback`` until
    ``release`` (SQLite: a write transaction on the file; PostgreSQL: a table lock), so the
    server's writer waits on it with whatever it holds."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("LOCK TABLE feedback IN EXCLUSIVE MODE"))
            held.set()
            release.wait(60)
            conn.rollback()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_acknowledged_feedback_survives_a_sigkill_of_the_server(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ``steward serve`` takes feedback from 16 connections; then the database is
    locked against the server's writes from outside, the senders go on for 1.5 s, and the
    server is killed with SIGKILL before the lock is released. Every piece answered 201 is in
    the database afterwards: an answer given before its row committed (as the old
    fire-and-forget route did, answering at queueing) would be lost with the queue."""
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    tag = uuid.uuid4().hex
    with local_app(fresh_db_url, create=True) as app:
        app.keys.create(Role.ADMIN)  # a server does not start without one
        key = app.keys.create(Role.APP)
        with app.sessions.begin() as session:  # the decision the feedback names, stored already
            record = AuditRecord(
                request_id=tag, endpoint="apply", source="input", action="NONE", caller_key_id=key.id
            )
            session.execute(insert(AuditRow), [record.to_row()])
    variables = {
        **os.environ,
        "STEWARD_DATABASE_URL": fresh_db_url,
        "STEWARD_WARM_GUARDS": "0",
        "STEWARD_ALERT_INTERVAL_S": "0",
    }
    log = tmp_path / "serve.log"
    proc, base = spawn_steward(variables, log)
    acknowledged: list[str] = []
    in_flight = 0
    in_flight_at_kill = 0
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_feedback_writes, args=(fresh_db_url, held, release))
    try:
        wait_ready(base, proc, log, timeout=400)  # a busy 2-core machine takes minutes to start one

        async def pour() -> None:
            auth = {"Authorization": f"Bearer {key.bearer}"}
            async with httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as client:

                async def sender(n: int) -> None:
                    nonlocal in_flight
                    i = 0
                    while proc.poll() is None:
                        body = {"requestId": tag, "rating": 1 + i % 5, "text": f"sender {n} note {i}"}
                        in_flight += 1
                        try:
                            r = await client.post("/v1/feedback", json=body)
                        except httpx.TransportError:
                            return  # the server is gone
                        finally:
                            in_flight -= 1
                        assert r.status_code == 201, r.text
                        acknowledged.append(r.json()["id"])
                        i += 1

                async def killer() -> None:
                    nonlocal in_flight_at_kill
                    while len(acknowledged) < 100 and proc.poll() is None:
                        await asyncio.sleep(0.01)
                    holder.start()
                    while not held.is_set():
                        await asyncio.sleep(0.01)
                    await asyncio.sleep(1.5)  # the senders go on against the locked database
                    in_flight_at_kill = in_flight
                    proc.send_signal(signal.SIGKILL)
                    await asyncio.to_thread(proc.wait, 10)

                await asyncio.gather(killer(), *(sender(n) for n in range(16)))

        asyncio.run(pour())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        release.set()
        if holder.is_alive():
            holder.join(60)
    assert proc.returncode == -signal.SIGKILL and len(acknowledged) >= 100
    assert in_flight_at_kill > 0  # requests were waiting on the held writes when it died
    with local_app(fresh_db_url) as app, app.sessions() as session:
        stored = set(session.scalars(select(Feedback.id).where(Feedback.request_id == tag)))
    assert set(acknowledged) - stored == set()  # nothing answered 201 was lost
