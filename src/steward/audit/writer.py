"""The background audit writer: a queue drained by one thread into batched inserts.

A request only pays for ``queue.put``; the thread takes whatever has queued (up to
``batch`` records) and writes it in one transaction, so throughput grows with load
instead of one commit per decision. :meth:`AuditWriter.close` drains the queue, which
the server calls on clean shutdown. A crash (SIGKILL, power loss) loses what was still
queued: at most the records of the last few milliseconds, bounded by ``max_queue``.
Given a ``chain_key``, the writer chains its records for tamper evidence
(:mod:`steward.audit.chain`). Given a ``sealer``, the matched text of records whose policy
keeps it is sealed (envelope encryption under the day's ``audit:<guardrail>`` data key)
*before* chaining, so the digest covers the ciphertext: shredding that key later makes the
text unreadable while the chain still verifies.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from typing import Any

from sqlalchemy import Engine, bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from steward.audit.chain import ChainState
from steward.audit.record import AuditRecord
from steward.errors import StewardError, StorageError
from steward.store.envelope import scope_of
from steward.store.models.core import AuditRow
from steward.store.sealing import Sealer

__all__ = ["AuditWriter"]

log = logging.getLogger(__name__)

_STOP = object()
#: Longest receipt stored (a receipt is about 540 characters; the verifier refuses over 8,192).
RECEIPT_MAX_CHARS = 8192
#: Receipts kept waiting for a record not written yet (a streamed answer's; see ``_write_receipts``).
RECEIPTS_WAITING_MAX = 10_000


class _Receipt:
    """A provenance receipt to store on the record of ``request_id`` (queued after that record)."""

    __slots__ = ("receipt", "request_id")

    def __init__(self, request_id: str, receipt: str) -> None:
        self.request_id = request_id
        self.receipt = receipt


class AuditWriter:
    """Writes audit records in the background; ``submit`` never blocks on the database.

    If the database is unreachable the writer keeps the batch and retries with back-off,
    so records are not dropped; once ``max_queue`` records are waiting, ``submit`` blocks
    (back-pressure) rather than losing records silently.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        batch: int = 256,
        max_queue: int = 100_000,
        chain_key: bytes | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        self._engine = engine
        self._sealer = sealer
        self._chain = ChainState(chain_key, uuid.uuid4().hex) if chain_key is not None else None
        self._batch = batch
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._written = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        #: Receipts by request id whose record is not written yet (touched by the writer thread only).
        self._waiting: dict[str, str] = {}

    @property
    def written(self) -> int:
        """How many records this writer has stored so far."""
        return self._written

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="steward-audit-writer", daemon=True)
                self._thread.start()

    def submit(self, record: AuditRecord) -> None:
        """Queue ``record`` for storage; returns at once unless the queue is full."""
        if self._closed:
            raise StorageError("the audit writer is closed; the server is shutting down")
        self.start()
        self._queue.put(record)

    def add_receipt(self, request_id: str, receipt: str) -> None:
        """Store ``receipt`` on the record of ``request_id``, once that record is written.

        The proxy signs an answer after its decision was recorded, so the receipt follows the
        record through the same queue and lands by an update. It stays outside the chain's
        digest (the record was chained without it); its own signature covers the request id.
        A receipt for a request id with no record, or over the size limit, is not stored.
        """
        if self._closed:
            raise StorageError("the audit writer is closed; the server is shutting down")
        if len(receipt) > RECEIPT_MAX_CHARS:
            log.error("a provenance receipt over %d characters was not stored", RECEIPT_MAX_CHARS)
            return
        self.start()
        self._queue.put(_Receipt(request_id, receipt))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far is stored (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def close(self, timeout: float = 30.0) -> None:
        """Store everything queued, then stop the thread."""
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
                "audit writer did not finish within %.0f s; %d records unwritten", timeout, self.pending
            )

    @property
    def pending(self) -> int:
        """Records queued and not yet stored."""
        return self._queue.unfinished_tasks

    def _take_batch(self) -> tuple[list[AuditRecord | _Receipt], bool]:
        first = self._queue.get()
        if first is _STOP:
            self._queue.task_done()
            return [], True
        batch = [first]
        stop = False
        while len(batch) < self._batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.task_done()
                stop = True
                break
            batch.append(item)
        return [r for r in batch if isinstance(r, (AuditRecord, _Receipt))], stop

    def _rows(self, records: list[AuditRecord]) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
        rows = [self._sealed(r) for r in records]
        return rows, (self._chain.seal(rows) if self._chain is not None else None)

    def _sealed(self, record: AuditRecord) -> dict[str, Any]:
        """The record's row, its kept matched text sealed (kept text never lands in the clear)."""
        row = record.to_row()
        row["receipt"] = self._waiting.pop(record.request_id, None)  # every row: one insert needs one shape
        if not record.keeps_text:
            return row
        if self._sealer is None:
            # No sealer (a tool or test without the master key): keep nothing rather than clear text.
            row["findings"] = [{**f, "match": None} for f in row["findings"]]
            return row
        scope = scope_of("audit", record.guardrail_id)
        try:
            row["findings"] = [
                {**f, "match": self._sealer.seal(f["match"], scope=scope), "matchSealed": True}
                if isinstance(f.get("match"), str)
                else f
                for f in row["findings"]
            ]
        except StewardError as exc:
            # The record matters more than the kept text: store it without the text, never in the clear.
            log.error("kept audit text could not be sealed (%s); stored without it", type(exc).__name__)
            row["findings"] = [{**f, "match": None} for f in row["findings"]]
        return row

    def _stored(self, count: int, chain_state: tuple[int, str] | None) -> None:
        self._written += count
        if self._chain is not None and chain_state is not None:
            self._chain.advance(chain_state)

    def _write(self, batch: list[AuditRecord]) -> None:
        delay = 0.05
        while True:
            rows, chain_state = self._rows(batch)
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert(AuditRow), rows)
                self._stored(len(batch), chain_state)
                return
            except IntegrityError:
                # One bad record (a repeated request id) must not hold back the others.
                self._write_one_by_one(batch)
                return
            except Exception as exc:
                # Never drop records on a transient failure; log the kind, not the content.
                log.warning("audit write of %d records failed (%s); retrying", len(batch), type(exc).__name__)
                if self._closed and delay > 2:
                    log.error("giving up on %d audit records at shutdown", len(batch))
                    return
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _write_one_by_one(self, batch: list[AuditRecord]) -> None:
        for record in batch:
            rows, chain_state = self._rows([record])
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert(AuditRow), rows)
                self._stored(1, chain_state)
            except IntegrityError:
                log.error("audit record refused by the database (duplicate request id?); skipped")

    def _write_receipts(self, receipts: list[_Receipt]) -> None:
        """Update each receipt's record; one whose record is not written yet waits for it.

        A streamed answer is signed in its last chunk, before its decision is recorded, so its
        receipt reaches the queue first: it is kept (at most :data:`RECEIPTS_WAITING_MAX`) and
        written with the record's insert.
        """
        stmt = update(AuditRow).where(AuditRow.request_id == bindparam("rid")).values(receipt=bindparam("r"))
        try:
            with self._engine.begin() as conn:
                for r in receipts:
                    if conn.execute(stmt, {"rid": r.request_id, "r": r.receipt}).rowcount == 0:
                        self._waiting[r.request_id] = r.receipt
        except Exception as exc:
            # A receipt is also in the answer the client holds; losing the stored copy is logged, not retried.
            log.error("%d provenance receipts not stored (%s)", len(receipts), type(exc).__name__)
        while len(self._waiting) > RECEIPTS_WAITING_MAX:
            self._waiting.pop(next(iter(self._waiting)))  # the oldest: its record never came

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, stop = self._take_batch()
            if batch:
                try:
                    records = [r for r in batch if isinstance(r, AuditRecord)]
                    if records:
                        self._write(records)
                    receipts = [r for r in batch if isinstance(r, _Receipt)]
                    if receipts:  # after the inserts: a receipt's record came before it in the queue
                        self._write_receipts(receipts)
                finally:
                    for _ in batch:
                        self._queue.task_done()
