"""Control catalogues shipped as YAML, and which controls a system meets, by what evidence.

A catalogue (``catalogues/*.yaml``) lists controls with an id, a group and a title;
``applies_if`` limits a control to some systems and ``met_by`` names what Steward can show
for it. A control's reference is ``catalogue:id`` (``nist-ai-rmf:MEASURE-2.11``).

For one system each applicable control is *met* when evidence shows it: an evidence record
or a risk mitigation's attestation naming the control, or one of its ``met_by`` sources —

| source | met when |
|---|---|
| ``inventory`` | the system is in the inventory |
| ``inventory:FIELD`` | the system's FIELD is filled in (``human_oversight`` other than none) |
| ``risk-assessment`` | every risk is treated, rated after treatment and reviewed (at least one risk) |
| ``risk-review-dates`` | every risk has a next review date |
| ``release-gate`` | the system defines release requirements |
| ``datasheets`` | every data set it uses has a datasheet with measured facts |
| ``evidence:KIND`` | evidence of that kind exists for this version and did not fail |

Otherwise it is a *gap*. A system may mark a control not applicable, with a justification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from steward.errors import InputError, NotFoundError
from steward.govern._validation import load_yaml_text, parse_model
from steward.govern.datasheet import Datasheet
from steward.govern.evidence import Evidence
from steward.govern.inventory import AISystem, EuAiActRole, HumanOversight, OrgRole
from steward.govern.risk import Risk

__all__ = [
    "Catalogue",
    "Control",
    "ControlState",
    "ControlStatus",
    "catalogue_ids",
    "control_coverage",
    "load_catalogue",
    "resolve_control",
]


class Control(BaseModel):
    """One control of a catalogue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    group: str
    title: str
    applies_if: list[str] = Field(default_factory=list)
    met_by: list[str] = Field(default_factory=list)


class Catalogue(BaseModel):
    """A control catalogue: NIST AI RMF, the Generative AI Profile, ISO/IEC 42001, the EU AI Act."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    reference: str
    paraphrased: bool
    tiers: dict[str, str] = Field(default_factory=dict)
    controls: list[Control]

    def ref(self, control: Control) -> str:
        """The control's full reference, ``catalogue:id``."""
        return f"{self.id}:{control.id}"


def _catalogue_dir() -> resources.abc.Traversable:
    return resources.files("steward.govern") / "catalogues"


@cache
def catalogue_ids() -> tuple[str, ...]:
    """Ids of the shipped catalogues, sorted."""
    return tuple(
        sorted(p.name.removesuffix(".yaml") for p in _catalogue_dir().iterdir() if p.name.endswith(".yaml"))
    )


@cache
def load_catalogue(catalogue_id: str) -> Catalogue:
    """A shipped catalogue by id; an unknown id names the known ones."""
    if catalogue_id not in catalogue_ids():
        raise NotFoundError("catalogue", catalogue_id)
    text = (_catalogue_dir() / f"{catalogue_id}.yaml").read_text("utf-8")
    return parse_model(
        Catalogue, load_yaml_text(text, origin=catalogue_id), origin=f"catalogue {catalogue_id}"
    )


def resolve_control(ref: str) -> tuple[Catalogue, Control]:
    """Look up ``catalogue:id``; raise :class:`InputError` if the reference is unknown."""
    cat_id, sep, control_id = ref.partition(":")
    if not sep or cat_id not in catalogue_ids():
        raise InputError(
            f"{ref!r} is not a control reference like 'nist-ai-rmf:MEASURE-2.11'", field="control"
        )
    catalogue = load_catalogue(cat_id)
    for control in catalogue.controls:
        if control.id == control_id:
            return catalogue, control
    raise InputError(f"catalogue {cat_id!r} has no control {control_id!r}", field="control")


class ControlState(StrEnum):
    """Where a system stands on one control."""

    MET = "met"
    GAP = "gap"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True, slots=True)
class ControlStatus:
    """One control for one system: met (and by what), a gap, or not applicable (and why)."""

    ref: str
    group: str
    title: str
    state: ControlState
    evidence: list[str] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "control": self.ref,
            "group": self.group,
            "title": self.title,
            "state": self.state.value,
            "evidence": self.evidence,
            "reason": self.reason,
        }


def _condition(system: AISystem, cond: str) -> bool:
    kind, _, value = cond.partition(":")
    if kind == "generative":
        return system.generative
    if kind == "consequential":
        return system.consequential
    if kind == "tier":
        return system.eu_ai_act_tier.value == value
    if kind == "duty":
        return any(d.value == value for d in system.transparency_duties)
    if kind == "role":
        return system.org_role in (OrgRole.BOTH, OrgRole(value))
    if kind == "eu":
        return system.eu_ai_act_role in (EuAiActRole.PROVIDER_AND_DEPLOYER, EuAiActRole(value))
    raise ValueError(f"unknown applies_if condition {cond!r}")


def _inventory_field(system: AISystem, name: str) -> bool:
    value = getattr(system, name)
    if value is HumanOversight.NONE:
        return False
    return bool(value)


def _source_met(
    source: str,
    system: AISystem,
    risks: Sequence[Risk],
    evidence: Sequence[Evidence],
    datasheets: dict[str, Datasheet],
    today: dt.date,
) -> list[str]:
    """Labels of what shows ``source`` for this system; empty when nothing does."""
    kind, _, value = source.partition(":")
    if kind == "inventory":
        if not value:
            return [f"inventory:{system.id}@{system.version}"]
        return [f"inventory:{system.id}.{value}"] if _inventory_field(system, value) else []
    if kind == "risk-assessment":
        complete = risks and not any(r.assessment_gaps(today) for r in risks)
        return [f"risk-register:{system.id} ({len(risks)} risks)"] if complete else []
    if kind == "risk-review-dates":
        return (
            [f"risk-register:{system.id} review dates"] if risks and all(r.review_date for r in risks) else []
        )
    if kind == "release-gate":
        return [f"release-requirements:{system.id}"] if system.release_requirements else []
    if kind == "datasheets":
        ok = system.datasets and all(
            d.id in datasheets and datasheets[d.id].profile is not None for d in system.datasets
        )
        return [f"datasheet:{d.id}" for d in system.datasets] if ok else []
    if kind == "evidence":
        return [
            e.id
            for e in evidence
            if e.kind.value == value and e.system_version == system.version and e.passed is not False
        ]
    raise ValueError(f"unknown met_by source {source!r}")


def control_coverage(
    system: AISystem,
    *,
    risks: Sequence[Risk],
    evidence: Sequence[Evidence],
    datasheets: dict[str, Datasheet],
    today: dt.date,
) -> list[ControlStatus]:
    """Every control of the system's frameworks, with its state for this system version."""
    own_risks = [r for r in risks if r.system_id == system.id]
    own_evidence = [e for e in evidence if e.system_id == system.id]
    decisions = {d.control: d for d in system.controls}
    statuses = []
    for cat_id in system.frameworks:
        catalogue = load_catalogue(cat_id)
        for control in catalogue.controls:
            ref = catalogue.ref(control)
            decision = decisions.get(ref)
            if decision is not None and not decision.applicable:
                reason = decision.justification or "marked not applicable"
                statuses.append(
                    ControlStatus(
                        ref, control.group, control.title, ControlState.NOT_APPLICABLE, reason=reason
                    )
                )
                continue
            unmet = [c for c in control.applies_if if not _condition(system, c)]
            if unmet:
                reason = "applies only if " + ", ".join(unmet)
                statuses.append(
                    ControlStatus(
                        ref, control.group, control.title, ControlState.NOT_APPLICABLE, reason=reason
                    )
                )
                continue
            shown = [
                e.id
                for e in own_evidence
                if ref in e.controls and e.system_version == system.version and e.passed is not False
            ]
            for source in control.met_by:
                shown += _source_met(source, system, own_risks, own_evidence, datasheets, today)
            shown = list(dict.fromkeys(shown))
            mitigating = [r.id for r in own_risks for m in r.mitigations if ref in m.controls]
            reason = ("mitigates " + ", ".join(dict.fromkeys(mitigating))) if mitigating else ""
            state = ControlState.MET if shown else ControlState.GAP
            statuses.append(ControlStatus(ref, control.group, control.title, state, shown, reason))
    return statuses
