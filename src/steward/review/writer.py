"""The background review writer: new items, appeals and feedback leave the request path.

A request only pays for putting a :data:`~steward.store.review.NewRow` on a queue; one thread
takes whatever has queued (up to ``batch`` rows), seals the texts and stores them in one
transaction (:meth:`ReviewStore.write`), so a thousand pieces of feedback a second cost a few
commits, not a thousand. It is a :class:`~steward.background.BackgroundWriter`, as the audit writer is:

* **back-pressure, nothing dropped**: the queue holds at most ``max_queue`` rows; when it is
  full a caller waits for room (:meth:`ReviewWriter.put` waits in a worker thread, so the event
  loop keeps serving) instead of the row being lost;
* **failures retried**: a batch the database refuses for a moment (a restart, a lock) is tried
  again with back-off; a batch with a row the database rejects for good is written row by row,
  so one bad row does not take the others with it (that row is logged by id and skipped);
* **nothing lost on shutdown**: :meth:`ReviewWriter.close` (the server's lifespan calls it)
  stores everything queued before the thread stops. A crash loses what was still queued: the
  rows of the last few milliseconds, bounded by ``max_queue``.

Rows become visible to readers when their batch commits (milliseconds); this process's readers
that must see their own writes at once call :meth:`ReviewWriter.flush` first.
"""

from __future__ import annotations

import logging
import queue

import anyio.to_thread

from steward.background import REFUSED, BackgroundWriter
from steward.review.queue import opened
from steward.store.review import NewItem, NewRow, ReviewStore

__all__ = ["ReviewWriter"]

log = logging.getLogger(__name__)


class ReviewWriter(BackgroundWriter[NewRow]):
    """Stores review items, appeals and feedback in batches from one background thread."""

    kind = "review writer"
    unit = "rows"

    def __init__(self, store: ReviewStore, *, batch: int = 500, max_queue: int = 50_000) -> None:
        super().__init__(batch=batch, max_queue=max_queue)
        self._store = store
        self._written = 0

    @property
    def written(self) -> int:
        """Rows this writer has stored so far."""
        return self._written

    def submit(self, row: NewRow) -> None:
        """Queue ``row`` from a thread; waits for room when the queue is full."""
        self._put(row)

    async def put(self, row: NewRow) -> None:
        """Queue ``row`` from the event loop: at once, or (queue full) after waiting in a worker thread."""
        self._check_open()
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            await anyio.to_thread.run_sync(self._queue.put, row)

    def _write_batch(self, batch: list[NewRow]) -> None:
        self._write(batch)

    def _write(self, rows: list[NewRow], *, alone: bool = False) -> None:
        try:
            if not self._retrying(lambda: self._store.write(rows), f"{len(rows)} review rows"):
                return
        except REFUSED:
            # A row the database refuses for good must not hold back the others.
            if not alone:
                for row in rows:
                    self._write([row], alone=True)
            else:
                log.error(
                    "review row %s (%s) refused by the database; skipped", rows[0].id, type(rows[0]).__name__
                )
            return
        self._written += len(rows)
        for row in rows:
            if isinstance(row, NewItem):
                opened(row)
