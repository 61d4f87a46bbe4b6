"""The background audit writer: a queue drained by one thread into batched inserts.

A :class:`~steward.background.BackgroundWriter`: a request only pays for ``queue.put``; the
thread takes whatever has queued (up to ``batch`` records) and writes it in one transaction,
so throughput grows with load instead of one commit per decision. :meth:`AuditWriter.close`
drains the queue, which the server calls on clean shutdown. A crash (SIGKILL, power loss)
loses what was still queued: at most the records of the last few milliseconds, bounded by
``max_queue``.
Given a ``chain_key``, the writer chains its records for tamper evidence
(:mod:`steward.audit.chain`). Given a ``sealer``, the matched text of records whose policy
keeps it is sealed (envelope encryption under the day's ``audit:<guardrail>`` data key)
*before* chaining, so the digest covers the ciphertext: shredding that key later makes the
text unreadable while the chain still verifies.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from steward.audit.chain import ChainState
from steward.audit.record import AuditRecord
from steward.background import REFUSED, BackgroundWriter
from steward.errors import StewardError
from steward.store.audit_trail import insert_records, store_receipts
from steward.store.envelope import scope_of
from steward.store.sealing import Sealer

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["AuditWriter"]

log = logging.getLogger(__name__)

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


class AuditWriter(BackgroundWriter[AuditRecord | _Receipt]):
    """Writes audit records in the background; ``submit`` never blocks on the database.

    If the database is unreachable the writer keeps the batch and retries with back-off,
    so records are not dropped; once ``max_queue`` records are waiting, ``submit`` blocks
    (back-pressure) rather than losing records silently.
    """

    kind = "audit writer"
    unit = "records"

    def __init__(
        self,
        engine: Engine,
        *,
        batch: int = 256,
        max_queue: int = 100_000,
        chain_key: bytes | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        super().__init__(batch=batch, max_queue=max_queue)
        self._engine = engine
        self._sealer = sealer
        self._chain = ChainState(chain_key, uuid.uuid4().hex) if chain_key is not None else None
        self._written = 0
        #: Receipts by request id whose record is not written yet (touched by the writer thread only).
        self._waiting: dict[str, str] = {}

    @property
    def written(self) -> int:
        """How many records this writer has stored so far."""
        return self._written

    def submit(self, record: AuditRecord) -> None:
        """Queue ``record`` for storage; returns at once unless the queue is full."""
        self._put(record)

    def add_receipt(self, request_id: str, receipt: str) -> None:
        """Store ``receipt`` on the record of ``request_id``, once that record is written.

        The proxy signs an answer after its decision was recorded, so the receipt follows the
        record through the same queue and lands by an update. It stays outside the chain's
        digest (the record was chained without it); its own signature covers the request id.
        A receipt for a request id with no record, or over the size limit, is not stored.
        """
        self._check_open()
        if len(receipt) > RECEIPT_MAX_CHARS:
            log.error("a provenance receipt over %d characters was not stored", RECEIPT_MAX_CHARS)
            return
        self._put(_Receipt(request_id, receipt))

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
        def insert_rows() -> None:
            rows, chain_state = self._rows(batch)
            insert_records(self._engine, rows)
            self._stored(len(batch), chain_state)

        try:
            self._retrying(insert_rows, f"{len(batch)} audit records")
        except REFUSED:
            # One bad record (a repeated request id) must not hold back the others.
            self._write_one_by_one(batch)

    def _write_one_by_one(self, batch: list[AuditRecord]) -> None:
        for record in batch:
            rows, chain_state = self._rows([record])
            try:
                insert_records(self._engine, rows)
                self._stored(1, chain_state)
            except REFUSED:
                log.error("audit record refused by the database (duplicate request id?); skipped")

    def _write_receipts(self, receipts: list[_Receipt]) -> None:
        """Update each receipt's record; one whose record is not written yet waits for it.

        A streamed answer is signed in its last chunk, before its decision is recorded, so its
        receipt reaches the queue first: it is kept (at most :data:`RECEIPTS_WAITING_MAX`) and
        written with the record's insert.
        """
        try:
            store_receipts(
                self._engine, [(r.request_id, r.receipt) for r in receipts], self._waiting.__setitem__
            )
        except Exception as exc:
            # A receipt is also in the answer the client holds; losing the stored copy is logged, not retried.
            log.error("%d provenance receipts not stored (%s)", len(receipts), type(exc).__name__)
        while len(self._waiting) > RECEIPTS_WAITING_MAX:
            self._waiting.pop(next(iter(self._waiting)))  # the oldest: its record never came

    def _write_batch(self, batch: list[AuditRecord | _Receipt]) -> None:
        records = [r for r in batch if isinstance(r, AuditRecord)]
        if records:
            self._write(records)
        receipts = [r for r in batch if isinstance(r, _Receipt)]
        if receipts:  # after the inserts: a receipt's record came before it in the queue
            self._write_receipts(receipts)
