"""The review writer: rows leave the request path, are stored in batches, wait when the queue is
full, survive a database that fails for a moment, and are all stored at shutdown (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from review_helpers import headers
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from steward.audit.record import AuditRecord
from steward.errors import StorageError
from steward.review import Reason, ReviewQueue
from steward.review.voice import Voice
from steward.review.writer import ReviewWriter
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.keys import Role
from steward.store.models.core import utcnow
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

    async def event_loop_side() -> float:
        # A full queue makes ``put`` wait in a worker thread: the event loop keeps running.
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        safety = threading.Timer(5, recording.gate.set)  # a blocked loop fails the test, not hangs it
        safety.start()
        tick = asyncio.create_task(ticker())
        put = asyncio.create_task(writer.put(voice.new_feedback(request_id=tag, rating=3, caller="k")))
        await asyncio.sleep(0.2)
        assert not put.done() and ticks >= 2
        recording.gate.set()
        await put
        tick.cancel()
        safety.cancel()
        return ticks

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


def test_the_server_stores_queued_feedback_when_it_shuts_down(
    package_db_url: str, tmp_path: Path, review_key: bytes
) -> None:
    settings = Settings(database_url=package_db_url, data_dir=tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_SECRET_KEY", review_key.decode("ascii"))
        app = create_app(settings)
    tag = uuid.uuid4().hex
    with TestClient(app) as client:
        writer: ReviewWriter = app.state.review_services.writer
        key = app.state.steward.keys.create(Role.APP)
        auth = {"x": {"Authorization": f"Bearer {key.bearer}"}}
        # The decision the feedback is about (feedback must name one made for its key).
        app.state.steward.audit.submit(
            AuditRecord(request_id=tag, endpoint="apply", source="input", action="NONE", caller_key_id=key.id)
        )
        gate = threading.Event()
        store = writer._store
        real = store.write

        def held(rows: Sequence[NewRow]) -> None:
            gate.wait(10)
            real(rows)

        store.write = held  # type: ignore[method-assign]
        for i in range(40):
            r = client.post(
                "/v1/feedback", json={"requestId": tag, "rating": 1 + i % 5}, headers=headers(auth, "x")
            )
            assert r.status_code == 201, r.text
        assert writer.pending > 0  # answered, not yet stored
        threading.Timer(0.2, gate.set).start()
    # The lifespan closed the writer: every answered row is stored.
    with app.state.steward.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Feedback).where(Feedback.request_id == tag))
    assert count == 40 and writer.pending == 0
    with pytest.raises(StorageError, match="shutting down"):  # closed by the server's lifespan
        writer.submit(
            Voice(app.state.review_services.queue, b"k" * 32).new_feedback(
                request_id=tag, rating=1, caller="k"
            )
        )
