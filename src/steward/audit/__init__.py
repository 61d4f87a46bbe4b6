"""The audit trail: one record per guardrail decision, written in the background, searchable.

:class:`~steward.audit.record.AuditRecord` is built from an assessment (matched text
redacted unless the policy keeps it); :class:`~steward.audit.writer.AuditWriter` queues
records and inserts them in batches so a response never waits on the database;
:mod:`steward.audit.search` finds and exports them.
"""

from steward.audit.record import AuditRecord
from steward.audit.writer import AuditWriter

__all__ = ["AuditRecord", "AuditWriter"]
