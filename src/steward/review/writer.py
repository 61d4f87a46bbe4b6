"""The background review writer: new items, appeals and feedback leave the request path.

One thread takes whatever has queued (up to ``batch`` entries), seals the texts and stores them
in one transaction (:meth:`ReviewStore.write`), so a thousand pieces of feedback a second cost
a few commits, not a thousand. It is a :class:`~steward.background.BackgroundWriter`, as the
audit writer is, and queues two kinds of entry:

* **acknowledged** (:meth:`ReviewWriter.store`): an end user's feedback, an appeal and its
  review item. The caller is answered only once the batch holding its rows has committed
  (group commit: each entry carries a completion the writer thread resolves after the commit,
  thread-safely on the caller's event loop, which never blocks meanwhile), so a 2xx means the
  rows are in the database and a crash (SIGKILL, power) loses nothing a client was told was
  accepted. If they cannot be stored — the database refuses them, or keeps failing for
  ``patience`` seconds, or the server stops before it recovers — :meth:`store` raises
  :class:`~steward.errors.StorageError` (a 503 saying nothing was stored: a failed transaction
  left none of its rows behind), and the client may send them again. An entry's rows (an
  appeal and its item) are stored in one transaction, never split across two.
* **fire-and-forget** (:meth:`ReviewWriter.put`, :meth:`ReviewWriter.submit`): review items the
  guard's own decisions open (a review band, a consequential system, a sampled audit, a
  hand-off). The caller's answer is the guard's decision and must not wait on review storage,
  so these answer once queued; a crash loses what was still queued: the items of the last
  few milliseconds, bounded by ``max_queue``.

Both kinds share the rest:

* **back-pressure, nothing dropped**: the queue holds at most ``max_queue`` entries; when it is
  full a caller waits for room (in a worker thread, so the event loop keeps serving) instead of
  the row being lost;
* **failures retried**: a batch the database refuses for a moment (a restart, a lock) is tried
  again with back-off; a batch with an entry the database rejects for good is written entry by
  entry, so one bad row does not take the others with it (that entry is logged by id, skipped,
  and its waiting caller told);
* **nothing lost on shutdown**: :meth:`ReviewWriter.close` (the server's lifespan calls it)
  stores everything queued before the thread stops.

Fire-and-forget rows become visible to readers when their batch commits (milliseconds); this
process's readers that must see them at once call :meth:`ReviewWriter.flush` first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
from collections.abc import Callable

import anyio.to_thread

from steward.background import REFUSED, BackgroundWriter
from steward.errors import StorageError
from steward.review.queue import opened
from steward.store.review import NewItem, NewRow, ReviewStore

__all__ = ["PATIENCE_S", "Queued", "ReviewWriter"]

log = logging.getLogger(__name__)

#: How long an acknowledged entry waits through database failures before its caller is told
#: that nothing was stored (a 503 the client can retry), rather than holding the request open
#: while the database is away.
PATIENCE_S = 10.0


class Queued:
    """Rows stored in one transaction, and whom to tell whether they were (``None``: nobody waits).

    Only the writer thread settles an entry, once: the first :meth:`settle` wins.
    """

    __slots__ = ("_done", "rows")

    def __init__(self, rows: tuple[NewRow, ...], done: Callable[[bool], None] | None = None) -> None:
        self.rows = rows
        self._done = done

    @property
    def waited_on(self) -> bool:
        """Whether a caller still waits to hear how this entry went."""
        return self._done is not None

    def settle(self, stored: bool) -> None:
        """Tell the waiting caller (if any, and not told yet) whether the rows were stored."""
        done, self._done = self._done, None
        if done is not None:
            done(stored)

    def describe(self) -> str:
        """The rows' ids and kinds, for a log line (never a text)."""
        return ", ".join(f"{row.id} ({type(row).__name__})" for row in self.rows)


def _resolve(future: asyncio.Future[bool], stored: bool) -> None:
    if not future.done():  # a caller that went away cancelled it
        future.set_result(stored)


class ReviewWriter(BackgroundWriter[Queued]):
    """Stores review items, appeals and feedback in batches from one background thread."""

    kind = "review writer"
    unit = "entries"

    def __init__(
        self, store: ReviewStore, *, batch: int = 500, max_queue: int = 50_000, patience: float = PATIENCE_S
    ) -> None:
        super().__init__(batch=batch, max_queue=max_queue)
        self._store = store
        self._patience = patience
        self._written = 0

    @property
    def written(self) -> int:
        """Rows this writer has stored so far."""
        return self._written

    def submit(self, row: NewRow) -> None:
        """Queue ``row`` from a thread, fire-and-forget; waits for room when the queue is full."""
        self._put(Queued((row,)))

    async def put(self, row: NewRow) -> None:
        """Queue ``row`` from the event loop, fire-and-forget: at once, or (queue full) after
        waiting in a worker thread."""
        await self._enqueue(Queued((row,)))

    async def store(self, *rows: NewRow) -> None:
        """Store ``rows`` in one transaction and return once it has committed (with the other
        rows of its batch); the event loop serves other requests meanwhile.

        :class:`StorageError` when they could not be stored: none of them was.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()

        def done(stored: bool) -> None:  # on the writer thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future, stored)

        await self._enqueue(Queued(rows, done))
        if not await future:
            raise StorageError(
                "nothing was stored: the review database did not accept it; send it again later"
            )

    async def _enqueue(self, entry: Queued) -> None:
        self._check_open()
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            await anyio.to_thread.run_sync(self._queue.put, entry)

    def _write_batch(self, batch: list[Queued]) -> None:
        try:
            self._write(batch)
        finally:  # whatever happened, nobody is left waiting (stored entries are settled already)
            for entry in batch:
                entry.settle(False)

    def _write(self, entries: list[Queued], *, alone: bool = False) -> None:
        pending = entries

        def write() -> None:
            rows = [row for entry in pending for row in entry.rows]
            if rows:
                self._store.write(rows)

        def failed(seconds: float) -> None:
            # Waiting callers are answered (nothing stored) once the database has failed for
            # longer than their patience; the rest of the batch is still retried.
            nonlocal pending
            if seconds < self._patience:
                return
            given_up = [entry for entry in pending if entry.waited_on]
            pending = [entry for entry in pending if not entry.waited_on]
            if given_up:
                log.warning(
                    "%s: the database has failed for %.1f s; %d waiting callers told nothing was stored",
                    self.kind,
                    seconds,
                    len(given_up),
                )
            for entry in given_up:
                entry.settle(False)

        what = f"{sum(len(e.rows) for e in entries)} review rows"
        try:
            if not self._retrying(write, what, failed=failed):
                return
        except REFUSED:
            # A row the database refuses for good must not hold back the others.
            if not alone:
                for entry in pending:
                    self._write([entry], alone=True)
            else:
                entry = pending[0]
                rows = "row" if len(entry.rows) == 1 else "rows"
                log.error("review %s %s refused by the database; skipped", rows, entry.describe())
            return
        for entry in pending:
            self._written += len(entry.rows)
            for row in entry.rows:
                if isinstance(row, NewItem):
                    opened(row)
            entry.settle(True)
