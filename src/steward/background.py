"""A bounded queue drained by one background thread in batches: what the audit writer
(:mod:`steward.audit.writer`) and the review writer (:mod:`steward.review.writer`) share.

A request only pays for a ``queue.put``; the thread takes whatever has queued (up to ``batch``
items) and hands it to :meth:`BackgroundWriter._write_batch` in one call, so throughput grows
with load instead of one commit per item. Once ``max_queue`` items wait, putting one blocks
(back-pressure) rather than dropping it. :meth:`BackgroundWriter.close` (the server calls it on
a clean shutdown) lets the thread store everything queued before it stops; a crash loses what
was still queued, at most the items of the last few milliseconds, bounded by ``max_queue``. A
writer whose callers must not be answered before their item is stored resolves a completion per
item once its batch committed (the review writer does, for end users' feedback and appeals).

Which database errors are a refusal rather than a passing failure is the store's to say
(:data:`steward.store.errors.REFUSED`, re-exported here for the writers), so this module sits on
the store's layer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from steward.errors import StorageError
from steward.store.errors import REFUSED

__all__ = ["REFUSED", "BackgroundWriter"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_STOP = object()


class BackgroundWriter(Generic[T]):
    """Queues items of type ``T`` and writes them in batches from one daemon thread.

    Subclasses implement :meth:`_write_batch` (which must not raise: it retries or logs what it
    cannot store) and name themselves (``kind``, ``unit``) for the messages.
    """

    #: What the writer is called in messages, and what it writes.
    kind = "writer"
    unit = "items"

    def __init__(self, *, batch: int, max_queue: int) -> None:
        self._batch = batch
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                name = f"steward-{self.kind.replace(' ', '-')}"
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()

    def _check_open(self) -> None:
        """Refuse new items once closed; start the thread otherwise."""
        if self._closed:
            raise StorageError(f"the {self.kind} is closed; the server is shutting down")
        self.start()

    def _put(self, item: T) -> None:
        """Queue ``item``; waits for room when the queue is full."""
        self._check_open()
        self._queue.put(item)

    @property
    def pending(self) -> int:
        """Items queued and not yet written."""
        return self._queue.unfinished_tasks

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (at most ``timeout`` seconds); whether it is."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued, then stop the thread (later items are refused)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        if thread.is_alive():
            log.error(
                "%s did not finish within %.0f s; %d %s unwritten",
                self.kind,
                timeout,
                self.pending,
                self.unit,
            )

    def _write_batch(self, batch: list[T]) -> None:
        raise NotImplementedError

    def _retrying(
        self, write: Callable[[], None], what: str, *, failed: Callable[[float], None] | None = None
    ) -> bool:
        """Run ``write`` until it succeeds, waiting longer after each failure (0.05 s, doubling, at
        most 5 s): nothing is dropped because the database is away for a moment. A refusal
        (:data:`REFUSED`) is raised to the caller. Only at shutdown does it give up (after about
        4 s of failures); whether ``write`` succeeded. Logs say ``what`` failed, never a text.
        ``failed`` is told, after each failure, how many seconds have passed since the first try
        (the review writer answers its waiting callers from there)."""
        delay = 0.05
        started = time.monotonic()
        while True:
            try:
                write()
                return True
            except REFUSED:
                raise
            except Exception as exc:
                log.warning("%s: write of %s failed (%s); retrying", self.kind, what, type(exc).__name__)
                if failed is not None:
                    failed(time.monotonic() - started)
                if self._closed and delay > 2:
                    log.error("%s: giving up on %s at shutdown", self.kind, what)
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _take_batch(self) -> tuple[list[T], bool]:
        """Whatever has queued, up to ``batch`` items (waiting for the first); and whether to stop."""
        batch: list[T] = []
        item = self._queue.get()
        while True:
            if item is _STOP:
                self._queue.task_done()
                return batch, True
            batch.append(item)  # type: ignore[arg-type]  # only T and _STOP are queued
            if len(batch) >= self._batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, stop = self._take_batch()
            try:
                if batch:
                    self._write_batch(batch)
            except Exception as exc:  # the thread must outlive a bug in one batch
                log.error("%s lost %d %s (%s)", self.kind, len(batch), self.unit, type(exc).__name__)
            finally:
                for _ in batch:
                    self._queue.task_done()
