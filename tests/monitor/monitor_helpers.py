"""Audit records for monitoring tests, written through the real audit writer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from steward.audit.record import AuditRecord
from steward.audit.writer import AuditWriter


def finding(policy: str, type_: str, action: str, score: float = 0.9, **details: Any) -> dict[str, Any]:
    """A finding in the audit record's stored form."""
    out: dict[str, Any] = {"policy": policy, "type": type_, "action": action, "score": score}
    if details:
        out["details"] = details
    return out


def record(
    gid: str,
    when: datetime,
    *,
    blocked: bool = False,
    masked: bool = False,
    findings: Iterable[dict[str, Any]] = (),
    latency_ms: float = 5.0,
    text_length: int = 100,
    source: str = "input",
    version: str = "1",
    caller: str | None = None,
) -> AuditRecord:
    """One decision as the guard would record it: blocks say ``blocked by``, masking ``masked``."""
    intervened = blocked or masked
    return AuditRecord(
        request_id=uuid.uuid4().hex,
        endpoint="apply",
        source=source,
        action="GUARDRAIL_INTERVENED" if intervened else "NONE",
        guardrail_id=gid,
        version=version,
        action_reason="blocked by HATE" if blocked else ("masked EMAIL" if masked else ""),
        findings=tuple(findings),
        text_length=text_length,
        latency_ms=latency_ms,
        caller_key_id=caller,
        created_at=when,
    )


def store(engine: Engine, records: Iterable[AuditRecord]) -> int:
    """Write ``records`` with the audit writer and wait until they are stored."""
    writer = AuditWriter(engine, batch=500)
    for r in records:
        writer.submit(r)
    writer.close()
    return writer.written


def new_gid(prefix: str = "m") -> str:
    """A guardrail id no other test uses (the session database is shared)."""
    return prefix + uuid.uuid4().hex[:10]
