"""Governance use cases shared by the ``steward system|risk|evidence|card`` commands, ``/v1/systems``
and the console.

Each takes the register (``app.governance``, one :class:`~steward.govern.repository.GovernanceStore`
per process) so the CLI and the API compute the same control coverage, the same due list and
store measurements and attestations the same way. Plain reads and writes (systems, risks,
data sets, the release gate) are the register's own methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from steward.errors import ConflictError
from steward.govern.controls import ControlStatus, control_coverage
from steward.govern.due import DueItem, due_items
from steward.govern.evidence import Evidence, attestation, evidence_from_metrics_json
from steward.govern.inventory import AISystem
from steward.govern.repository import GovernanceStore
from steward.govern.requirements import EvidenceKind

__all__ = ["Recorded", "attest", "controls", "due", "record_metrics"]


def controls(
    register: GovernanceStore, system_id: str, *, now: datetime | None = None
) -> list[ControlStatus]:
    """Which catalogue controls apply to a system, which are met and by what evidence, and the gaps."""
    system = register.get_system(system_id)
    return control_coverage(
        system,
        risks=register.list_risks(system_id),
        evidence=register.list_evidence(system_id),
        datasheets=register.datasheets_for(system),
        today=(now or datetime.now(UTC)).date(),
    )


def due(register: GovernanceStore, *, within_days: int, now: datetime | None = None) -> list[DueItem]:
    """Risk reviews and release evidence due within ``within_days`` across the inventory."""
    now = now or datetime.now(UTC)
    return [
        item
        for system in register.list_systems()
        for item in due_items(
            system,
            risks=register.list_risks(system.id),
            evidence=register.list_evidence(system.id),
            now=now,
            within_days=within_days,
        )
    ]


def _stamp(register: GovernanceStore, system_id: str, actor: str | None) -> tuple[AISystem, dict[str, Any]]:
    """The system, and what every piece of evidence recorded for it states: its current version,
    the time and who recorded it."""
    system = register.get_system(system_id)
    stamp = {
        "system_id": system.id,
        "system_version": system.version,
        "recorded_at": datetime.now(UTC),
        "recorded_by": actor,
    }
    return system, stamp


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_metrics` stored: ``added`` is false when it was already recorded."""

    system: AISystem
    evidence: Evidence
    added: bool


def record_metrics(
    register: GovernanceStore,
    payload: bytes,
    *,
    system_id: str,
    kind: EvidenceKind,
    name: str,
    subject: str,
    subject_version: str,
    source: str,
    inputs: dict[str, str] | None = None,
    controls: list[str] | None = None,
    actor: str | None = None,
    rerun_ok: bool = False,
) -> Recorded:
    """Record a metrics JSON document as evidence for the system's current version.

    The one path every measurement is stored through (``evidence add``, ``fairness``,
    ``explain``, ``redteam``, ``scan``, ``dataset scan`` and ``POST .../evidence``), so they
    build the same evidence. With ``rerun_ok`` the same measurement recorded again is
    ``added=False`` rather than a :class:`ConflictError`: commands that are rerun routinely
    say so and carry on.
    """
    system, stamp = _stamp(register, system_id, actor)
    evidence = evidence_from_metrics_json(
        payload,
        **stamp,
        kind=kind,
        name=name,
        subject=subject,
        subject_version=subject_version,
        controls=controls,
        inputs=inputs,
        source=source,
    )
    try:
        stored = register.add_evidence(evidence)
    except ConflictError:
        if not rerun_ok:
            raise
        return Recorded(system, evidence, added=False)
    return Recorded(system, stored, added=True)


def attest(
    register: GovernanceStore,
    system_id: str,
    *,
    name: str,
    statement: str,
    actor: str,
    kind: EvidenceKind = EvidenceKind.ATTESTATION,
    passed: bool = True,
    controls: list[str] | None = None,
) -> Evidence:
    """Record a person's attestation or review outcome for the system's current version."""
    _, stamp = _stamp(register, system_id, actor)
    return register.add_evidence(
        attestation(**stamp, name=name, statement=statement, kind=kind, passed=passed, controls=controls)
    )
