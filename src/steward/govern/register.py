"""The whole governance register as one YAML document, so it can live in git and be reviewed.

:func:`dump_register` writes a stable form (records sorted by id, fields in model order,
empty values left out) and :func:`parse_register` reads it back, checking every record
and every cross-reference, so ``dump(parse(dump(r))) == dump(r)`` exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from steward.errors import InputError
from steward.govern._validation import load_yaml_text, parse_model
from steward.govern.datasheet import Datasheet
from steward.govern.evidence import Evidence
from steward.govern.inventory import ID_PATTERN, AISystem, Lifecycle, Name, Text
from steward.govern.risk import Risk

__all__ = ["Register", "StatusChange", "dump_register", "parse_register"]


class StatusChange(BaseModel):
    """One release-gate decision as recorded: who asked, what for, and what was missing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system_id: Annotated[str, StringConstraints(pattern=ID_PATTERN)]
    system_version: Name
    from_status: Lifecycle
    to_status: Lifecycle
    allowed: bool
    decided_at: AwareDatetime
    decided_by: Name | None = None
    missing: list[Text] = Field(default_factory=list)


class Register(BaseModel):
    """Systems, datasheets, risks, evidence and gate decisions, together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steward_register: Literal[1] = 1
    systems: list[AISystem] = Field(default_factory=list)
    datasets: list[Datasheet] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    decisions: list[StatusChange] = Field(default_factory=list)

    def sorted(self) -> Register:
        """The same register with every list in its canonical order."""
        return Register(
            systems=sorted(self.systems, key=lambda s: s.id),
            datasets=sorted(self.datasets, key=lambda d: d.id),
            risks=sorted(self.risks, key=lambda r: (r.system_id, r.id)),
            evidence=sorted(self.evidence, key=lambda e: (e.system_id, e.recorded_at, e.id)),
            decisions=sorted(self.decisions, key=lambda d: (d.system_id, d.decided_at)),
        )


def _duplicates(keys: Sequence[object], what: str, field: str) -> None:
    seen: set[object] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise InputError(f"repeats {what} {key!r}", field=f"{field}[{i}]")
        seen.add(key)


def check_references(register: Register) -> None:
    """Every id is unique and every reference points at a record in the register."""
    _duplicates([s.id for s in register.systems], "system", "systems")
    _duplicates([d.id for d in register.datasets], "data set", "datasets")
    _duplicates([(r.system_id, r.id) for r in register.risks], "risk", "risks")
    _duplicates([e.id for e in register.evidence], "evidence", "evidence")
    systems = {s.id for s in register.systems}
    refs: list[tuple[str, str]] = [
        *((f"risks[{i}].system_id", r.system_id) for i, r in enumerate(register.risks)),
        *((f"evidence[{i}].system_id", e.system_id) for i, e in enumerate(register.evidence)),
        *((f"decisions[{i}].system_id", d.system_id) for i, d in enumerate(register.decisions)),
    ]
    for field, system_id in refs:
        if system_id not in systems:
            raise InputError(f"names system {system_id!r}, which is not in the register", field=field)
    for system in register.systems:
        if system.status in (Lifecycle.DEPLOYMENT, Lifecycle.OPERATION):
            passed = any(
                d.system_id == system.id
                and d.system_version == system.version
                and d.allowed
                and d.to_status is system.status
                for d in register.decisions
            )
            if not passed:
                raise InputError(
                    f"is {system.status.value} but has no allowed release-gate decision for version {system.version}",
                    field=f"system {system.id}",
                )


def to_document(register: Register) -> dict[str, Any]:
    """The register's JSON-ready form, canonical order, ``None`` fields left out."""
    return register.sorted().model_dump(mode="json", exclude_none=True)


def dump_register(register: Register) -> str:
    """The register as YAML, stable enough for diffs and an exact round trip."""
    return yaml.safe_dump(to_document(register), sort_keys=False, allow_unicode=True, width=100)


def parse_register(text: str | bytes, *, origin: str = "register") -> Register:
    """Read a register from YAML or JSON; every problem names the field at fault."""
    data = load_yaml_text(text, origin=origin)
    register = parse_model(Register, data, origin=origin)
    check_references(register)
    return register.sorted()
