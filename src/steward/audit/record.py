"""One audit record: what was decided about one text, by whom, with what, how fast.

The record never holds the checked text. Findings keep their type, rule, offsets, score
and action; the matched text is masked (first character and length) unless the policy
sets ``audit.keep_matched_text`` (``keeps_text``); the writer then seals the kept text
with envelope encryption before it reaches the database (:mod:`steward.audit.writer`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from steward.assessment import Assessment
from steward.store.models.core import utcnow

__all__ = ["AuditRecord", "new_request_id"]


def new_request_id() -> str:
    """A fresh request id: 32 hex characters, unique across processes and machines."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One guardrail decision, ready to store."""

    request_id: str
    endpoint: str
    source: str
    action: str
    guardrail_id: str | None = None
    version: str | None = None
    policy_name: str = ""
    action_reason: str = ""
    findings: tuple[dict[str, Any], ...] = ()
    text_length: int = 0
    latency_ms: float = 0.0
    caller_key_id: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    #: Whether ``findings`` carry raw matched text (the policy keeps it), to be sealed on write.
    keeps_text: bool = False

    @classmethod
    def from_assessment(
        cls,
        assessment: Assessment,
        *,
        guardrail_id: str | None,
        version: str | None,
        caller: str | None,
        request_id: str,
        endpoint: str,
        keep_matched_text: bool | None = None,
        latency_ms: float | None = None,
    ) -> AuditRecord:
        """A record of ``assessment``; ``caller`` is the API key id (or None).

        ``keep_matched_text`` defaults to False (redacted); pass the policy's
        ``audit.keep_matched_text`` to honour it. ``latency_ms`` defaults to the guard's own
        latency; pass the whole request's if it is known.
        """
        keep = bool(keep_matched_text)
        return cls(
            request_id=request_id,
            endpoint=endpoint,
            source=assessment.source.value,
            action=assessment.action.value,
            guardrail_id=guardrail_id,
            version=version,
            policy_name=assessment.policy_name,
            action_reason=assessment.action_reason,
            findings=tuple(f.to_dict(include_match=keep) for f in assessment.findings),
            text_length=assessment.text_length,
            latency_ms=assessment.latency_ms if latency_ms is None else latency_ms,
            caller_key_id=caller,
            keeps_text=keep,
        )

    @property
    def finding_types(self) -> list[str]:
        """The distinct finding types, sorted."""
        return sorted({str(f.get("type", "")) for f in self.findings})

    def to_row(self) -> dict[str, Any]:
        """Column values for the ``audit_records`` table."""
        types = self.finding_types
        return {
            "request_id": self.request_id,
            "created_at": self.created_at,
            "endpoint": self.endpoint,
            "guardrail_id": self.guardrail_id,
            "version": self.version,
            "policy_name": self.policy_name[:64],
            "source": self.source,
            "action": self.action,
            "action_reason": self.action_reason,
            "finding_types": "," + ",".join(types) + ("," if types else ""),
            "findings": list(self.findings),
            "text_length": self.text_length,
            "latency_ms": round(self.latency_ms, 3),
            "caller_key_id": self.caller_key_id,
        }
