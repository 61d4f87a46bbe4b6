"""Finding audit records and exporting them as JSONL or CSV.

Filters combine with AND: time range, guardrail, version, action, source, finding type, the
policy a finding came from (content, topic, word, PII, grounding), endpoint, caller and request
id. Search pages newest-first with a ``before`` cursor (the last id
seen); export walks oldest-first in chunks, so any number of records streams in bounded
memory. The SQL is :mod:`steward.store.audit_search`'s; this module checks a query's fields and
shapes each record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from steward.assessment import PolicyKind
from steward.errors import InputError, ShreddedError
from steward.store import audit_search as rows
from steward.store.audit_search import AuditFilter
from steward.store.models.core import AuditRow
from steward.store.sealing import Sealer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "CSV_COLUMNS",
    "MAX_PAGE",
    "POLICIES",
    "AuditQuery",
    "count",
    "export",
    "policy_kind",
    "row_to_dict",
    "search",
]

#: Most records one search page returns.
MAX_PAGE = 1000
_EXPORT_CHUNK = 1000

CSV_COLUMNS = (
    "id",
    "requestId",
    "createdAt",
    "endpoint",
    "guardrailId",
    "version",
    "policyName",
    "source",
    "action",
    "actionReason",
    "findingTypes",
    "findings",
    "textLength",
    "latencyMs",
    "callerKeyId",
    "receipt",
)


#: The policy filter's short names and the policy (as findings name it, Bedrock's section name)
#: each stands for; the section names themselves are accepted too.
POLICIES: dict[str, PolicyKind] = {
    "content": PolicyKind.CONTENT,
    "topic": PolicyKind.TOPIC,
    "word": PolicyKind.WORD,
    "pii": PolicyKind.SENSITIVE_INFORMATION,
    "grounding": PolicyKind.CONTEXTUAL_GROUNDING,
}
_POLICY_NAMES = dict(POLICIES) | {kind.value.lower(): kind for kind in PolicyKind}


def policy_kind(value: str, *, field: str = "policy") -> PolicyKind:
    """The policy a filter value names: a short name (``pii``) or a section name
    (``sensitiveInformationPolicy``), in any case; anything else is an :class:`InputError`."""
    kind = _POLICY_NAMES.get(value.strip().lower())
    if kind is None:
        raise InputError(
            f"must be one of {', '.join(POLICIES)} (or a policy section name such as contentPolicy)",
            field=field,
        )
    return kind


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which records to find. Naive datetimes are taken as UTC."""

    since: datetime | None = None
    until: datetime | None = None
    guardrail_id: str | None = None
    version: str | None = None
    action: str | None = None
    source: str | None = None
    finding_type: str | None = None
    #: Records with a finding of this policy (a short name such as ``pii``, or a section name).
    policy: str | None = None
    endpoint: str | None = None
    caller_key_id: str | None = None
    request_id: str | None = None
    limit: int = 100
    before_id: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise InputError(f"must be between 1 and {MAX_PAGE}", field="limit")
        if self.finding_type is not None and ("," in self.finding_type or "%" in self.finding_type):
            raise InputError("must be one finding type such as EMAIL or HATE", field="type")
        if self.policy is not None:
            policy_kind(self.policy)
        since, until = _utc(self.since), _utc(self.until)
        if since and until and since > until:
            raise InputError("must not be after 'until'", field="since")

    def as_filter(self) -> AuditFilter:
        """The checked filters in their stored form (for :mod:`steward.store.audit_search`)."""
        return AuditFilter(
            since=_utc(self.since),
            until=_utc(self.until),
            guardrail_id=self.guardrail_id,
            version=self.version,
            action=self.action.upper() if self.action is not None else None,
            source=self.source.lower() if self.source is not None else None,
            finding_type=self.finding_type.upper() if self.finding_type is not None else None,
            policy=policy_kind(self.policy).value if self.policy is not None else None,
            endpoint=self.endpoint,
            caller_key_id=self.caller_key_id,
            request_id=self.request_id,
        )


def _open_findings(findings: list[dict[str, Any]], sealer: Sealer | None) -> list[dict[str, Any]]:
    """Findings with sealed matched text opened (``None`` and ``matchRemoved`` once shredded)."""
    out = []
    for finding in findings:
        if not finding.get("matchSealed"):
            out.append(finding)
            continue
        opened = {k: v for k, v in finding.items() if k != "matchSealed"}
        try:
            opened["match"] = sealer.unseal(str(finding["match"])) if sealer is not None else None
        except ShreddedError:
            opened["match"], opened["matchRemoved"] = None, True
        out.append(opened)
    return out


def row_to_dict(row: AuditRow, sealer: Sealer | None = None) -> dict[str, Any]:
    """A stored record in the API's JSON form; kept matched text opened with ``sealer``."""
    created = _utc(row.created_at)
    return {
        "id": row.id,
        "requestId": row.request_id,
        "createdAt": created.isoformat() if created else None,
        "endpoint": row.endpoint,
        "guardrailId": row.guardrail_id,
        "version": row.version,
        "policyName": row.policy_name,
        "source": row.source,
        "action": row.action,
        "actionReason": row.action_reason,
        "findingTypes": [t for t in row.finding_types.split(",") if t],
        "findings": _open_findings(row.findings, sealer),
        "textLength": row.text_length,
        "latencyMs": row.latency_ms,
        "callerKeyId": row.caller_key_id,
        "receipt": row.receipt,
    }


def search(
    sessions: sessionmaker[Session], query: AuditQuery, *, sealer: Sealer | None = None
) -> dict[str, Any]:
    """One page of matching records, newest first, with the cursor for the next page."""
    found = rows.newest(sessions, query.as_filter(), before_id=query.before_id, limit=query.limit)
    records = [row_to_dict(r, sealer) for r in found]
    more = len(records) == query.limit
    return {"records": records, "next": records[-1]["id"] if more and records else None}


def count(sessions: sessionmaker[Session], query: AuditQuery | None = None) -> int:
    """How many records match ``query`` (all records if None)."""
    return rows.count(sessions, (query or AuditQuery()).as_filter())


def _all(
    sessions: sessionmaker[Session], query: AuditQuery, sealer: Sealer | None
) -> Iterator[dict[str, Any]]:
    where, last = query.as_filter(), 0
    while True:
        chunk = rows.oldest_after(sessions, where, after_id=last, limit=_EXPORT_CHUNK)
        yield from (row_to_dict(r, sealer) for r in chunk)
        if len(chunk) < _EXPORT_CHUNK:
            return
        last = chunk[-1].id


def _csv_line(record: dict[str, Any]) -> str:
    out = io.StringIO()
    values = dict(record)
    values["findingTypes"] = ";".join(record["findingTypes"])
    values["findings"] = orjson.dumps(record["findings"]).decode()
    csv.writer(out).writerow([values[c] if values[c] is not None else "" for c in CSV_COLUMNS])
    return out.getvalue()


def export(
    sessions: sessionmaker[Session], query: AuditQuery, *, fmt: str = "jsonl", sealer: Sealer | None = None
) -> Iterator[str]:
    """Every matching record, oldest first, as JSONL lines or CSV rows (with a header)."""
    if fmt not in ("jsonl", "csv"):
        raise InputError("must be 'jsonl' or 'csv'", field="format")
    query = replace(query, limit=MAX_PAGE, before_id=None)
    if fmt == "csv":
        header = io.StringIO()
        csv.writer(header).writerow(CSV_COLUMNS)
        yield header.getvalue()
        for record in _all(sessions, query, sealer):
            yield _csv_line(record)
        return
    for record in _all(sessions, query, sealer):
        yield orjson.dumps(record).decode() + "\n"
