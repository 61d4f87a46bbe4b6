"""Evidence: what was measured or attested about a system version, when, and from which inputs.

Every record carries the system version it speaks for, the version of the thing tested
(a model, a guardrail), the time it was recorded, its metrics, and a SHA-256 hash of the
inputs it was made from, so a card or a gate can cite it and anyone can check it later.

:func:`evidence_from_metrics_json` accepts the JSON ``steward eval --json`` prints
(``n``, ``precision``, ``recall``, ``f1``, ``fpr``, ``auprc``, ``recall_at_1pct_fpr``,
``by_group``, ``by_category``, ``latency_ms`` {p50, p99}) and any generic metrics JSON: a
flat object of numbers, or one with a ``metrics`` object, optionally ``by_group``/``groups``
(or ``by_feature``, per model input, as ``steward explain --json`` prints).
Metrics that are ``null`` (undefined, such as precision with no positives) are left out. The
multi-data-set form of ``steward eval`` (``datasets`` + ``overall``) records the overall
report and each set's headline numbers as ``datasets.NAME.metric``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from steward.errors import InputError, InputTooLargeError
from steward.govern._validation import parse_model
from steward.govern.inventory import ID_PATTERN, LIST_MAX, Name, Text
from steward.govern.requirements import EvidenceKind

__all__ = [
    "EVIDENCE_FILE_MAX_BYTES",
    "Evidence",
    "attestation",
    "evidence_from_metrics_json",
    "evidence_id",
    "sha256_hex",
]

#: A metrics JSON file larger than this is refused.
EVIDENCE_FILE_MAX_BYTES = 4 << 20
#: Metrics (and slices) one record may hold.
METRICS_MAX = 2000

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Metrics = dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], float]


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def evidence_id(system_id: str, system_version: str, kind: str, content_sha256: str, name: str) -> str:
    """A stable id: the same inputs recorded twice for one system version get the same id."""
    key = "\x1f".join((system_id, system_version, kind, name, content_sha256)).encode()
    return "ev-" + sha256_hex(key)[:12]


class Evidence(BaseModel):
    """One piece of evidence about one system version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^ev-[0-9a-f]{12}$")]
    system_id: Annotated[str, StringConstraints(pattern=ID_PATTERN)]
    system_version: Name
    kind: EvidenceKind
    name: Name
    subject: Name
    subject_version: Name
    recorded_at: AwareDatetime
    recorded_by: Name | None = None
    metrics: Metrics = Field(default_factory=dict, max_length=METRICS_MAX)
    slices: dict[Name, Metrics] = Field(default_factory=dict, max_length=METRICS_MAX)
    categories: dict[Name, Metrics] = Field(default_factory=dict, max_length=METRICS_MAX)
    passed: bool | None = Field(default=None, description="a review's or attestation's outcome")
    statement: Text | None = None
    controls: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    content_sha256: Sha256
    inputs: dict[Name, Sha256] = Field(default_factory=dict, max_length=LIST_MAX)
    source: Name | None = None

    @field_validator("metrics")
    @classmethod
    def _finite(cls, value: dict[str, float]) -> dict[str, float]:
        for key, number in value.items():
            if not math.isfinite(number):
                raise ValueError(f"metric {key!r} is not a finite number")
        return value

    def age_days(self, now: dt.datetime) -> float:
        """How old the record is at ``now``, in days."""
        return (now - self.recorded_at).total_seconds() / 86400


#: Keys holding per-slice tables or wrappers rather than headline metrics.
_NESTED = frozenset(
    {"by_group", "groups", "slices", "by_feature", "by_category", "metrics", "datasets", "overall"}
)


def _number(value: Any, where: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise InputError("is not a finite number", field=where)
    return number


def _flatten(obj: Mapping[str, Any], prefix: str, out: dict[str, float], where: str) -> None:
    """Numbers of a nested object, keyed by their dotted path (``latency_ms.p50``)."""
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, f"{name}.", out, where)
            continue
        number = _number(value, f"{where}.{name}")
        if number is not None:
            out[name] = number
    if len(out) > METRICS_MAX:
        raise InputError(f"has more than {METRICS_MAX} metrics", field=where)


def _slices(obj: Any, where: str) -> dict[str, dict[str, float]]:
    """Per-group metrics as ``{slice: {metric: value}}``.

    Accepts ``{group: {metric: n}}``, ``{attribute: {group: {metric: n}}}`` (slice ``attribute=group``)
    and ``[{"group": g, metric: n, ...}]``.
    """
    out: dict[str, dict[str, float]] = {}
    if isinstance(obj, list):
        for i, row in enumerate(obj):
            if not isinstance(row, Mapping) or "group" not in row:
                raise InputError('must be objects with a "group" field', field=f"{where}[{i}]")
            metrics: dict[str, float] = {}
            _flatten({k: v for k, v in row.items() if k != "group"}, "", metrics, f"{where}[{i}]")
            out[str(row["group"])] = metrics
        return out
    if not isinstance(obj, Mapping):
        raise InputError("must be an object or a list of groups", field=where)
    for key, value in obj.items():
        if not isinstance(value, Mapping):
            raise InputError("must map each group to its metrics", field=f"{where}.{key}")
        if value and all(isinstance(v, Mapping) for v in value.values()):
            for group, metrics_obj in value.items():
                metrics = {}
                _flatten(metrics_obj, "", metrics, f"{where}.{key}.{group}")
                out[f"{key}={group}"] = metrics
        else:
            metrics = {}
            _flatten(value, "", metrics, f"{where}.{key}")
            out[str(key)] = metrics
    if len(out) > METRICS_MAX:
        raise InputError(f"has more than {METRICS_MAX} groups", field=where)
    return out


def evidence_from_metrics_json(
    payload: bytes,
    *,
    system_id: str,
    system_version: str,
    kind: EvidenceKind,
    name: str,
    subject: str,
    subject_version: str,
    recorded_at: dt.datetime,
    recorded_by: str | None = None,
    controls: list[str] | None = None,
    inputs: dict[str, str] | None = None,
    source: str | None = None,
) -> Evidence:
    """Build an evidence record from a metrics JSON document; bad JSON names the problem."""
    origin = source or "metrics JSON"
    if len(payload) > EVIDENCE_FILE_MAX_BYTES:
        raise InputTooLargeError(field=origin, size=len(payload), limit=EVIDENCE_FILE_MAX_BYTES, unit="bytes")
    try:
        doc = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=origin) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON ({exc.msg} at line {exc.lineno})", field=origin) from None
    if not isinstance(doc, dict):
        raise InputError(f"must be a JSON object, not {type(doc).__name__}", field=origin)
    metrics: dict[str, float] = {}
    if isinstance(doc.get("overall"), Mapping):
        # `steward eval` over several data sets: the overall report, plus each set's headline numbers.
        for set_name, report in (doc.get("datasets") or {}).items():
            if isinstance(report, Mapping):
                headline = {k: v for k, v in report.items() if k not in _NESTED}
                _flatten(headline, f"datasets.{set_name}.", metrics, f"{origin}.datasets.{set_name}")
        doc = dict(doc["overall"])
    # ``by_feature``: one slice per model input (``steward explain``'s importances)
    group_key = next((k for k in ("by_group", "groups", "slices", "by_feature") if k in doc), None)
    slices = _slices(doc[group_key], f"{origin}.{group_key}") if group_key else {}
    categories = _slices(doc["by_category"], f"{origin}.by_category") if "by_category" in doc else {}
    body = doc["metrics"] if isinstance(doc.get("metrics"), Mapping) else doc
    _flatten({k: v for k, v in body.items() if k not in _NESTED}, "", metrics, origin)
    if not metrics and not slices:
        raise InputError("holds no numeric metrics", field=origin)
    content = sha256_hex(payload)
    return parse_model(
        Evidence,
        {
            "id": evidence_id(system_id, system_version, kind.value, content, name),
            "system_id": system_id,
            "system_version": system_version,
            "kind": kind,
            "name": name,
            "subject": subject,
            "subject_version": subject_version,
            "recorded_at": recorded_at,
            "recorded_by": recorded_by,
            "metrics": metrics,
            "slices": slices,
            "categories": categories,
            "controls": controls or [],
            "content_sha256": content,
            "inputs": inputs or {},
            "source": source,
        },
        origin="evidence",
    )


def attestation(
    *,
    system_id: str,
    system_version: str,
    name: str,
    statement: str,
    recorded_at: dt.datetime,
    recorded_by: str,
    kind: EvidenceKind = EvidenceKind.ATTESTATION,
    passed: bool = True,
    controls: list[str] | None = None,
    subject: str | None = None,
    subject_version: str | None = None,
) -> Evidence:
    """A person's signed-off statement (an attestation or a review outcome) as evidence."""
    if kind not in (EvidenceKind.ATTESTATION, EvidenceKind.REVIEW):
        raise InputError("must be 'attestation' or 'review' for a statement", field="kind")
    content = sha256_hex(statement.encode("utf-8", "surrogatepass"))
    return parse_model(
        Evidence,
        {
            "id": evidence_id(system_id, system_version, kind.value, content, name),
            "system_id": system_id,
            "system_version": system_version,
            "kind": kind,
            "name": name,
            "subject": subject or f"system:{system_id}",
            "subject_version": subject_version or system_version,
            "recorded_at": recorded_at,
            "recorded_by": recorded_by,
            "passed": passed,
            "statement": statement,
            "controls": controls or [],
            "content_sha256": content,
        },
        origin="evidence",
    )
