from __future__ import annotations

from collections import Counter

import pytest
from govern_builders import NOW, make_evidence, make_risk, make_system

from steward.errors import InputError, NotFoundError
from steward.govern.controls import (
    ControlState,
    catalogue_ids,
    control_coverage,
    load_catalogue,
    resolve_control,
)
from steward.govern.requirements import EvidenceKind


def test_the_four_catalogues_ship_with_their_structure() -> None:
    assert catalogue_ids() == ("eu-ai-act", "iso-42001", "nist-ai-rmf", "nist-genai")
    rmf = load_catalogue("nist-ai-rmf")
    groups = Counter(c.group for c in rmf.controls)
    assert groups == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}
    assert rmf.controls[0].id == "GOVERN-1.1" and rmf.controls[-1].id == "MANAGE-4.3"
    assert len(load_catalogue("nist-genai").controls) == 12
    iso_areas = {c.group.split()[0] for c in load_catalogue("iso-42001").controls}
    assert iso_areas == {f"A.{n}" for n in range(2, 11)}
    eu = load_catalogue("eu-ai-act")
    assert list(eu.tiers) == ["prohibited", "high-risk", "limited", "minimal"]
    assert {c.id for c in eu.controls} >= {"ART-50.1", "ART-50.2", "ART-50.3", "ART-50.4"}
    assert all(load_catalogue(c).paraphrased for c in catalogue_ids())


def test_every_condition_and_source_in_the_catalogues_is_understood() -> None:
    system = make_system(
        generative=True,
        transparency_duties=["disclose-ai-interaction"],
        datasets=[{"id": "d1", "version": "1"}],
    )
    statuses = control_coverage(system, risks=[make_risk()], evidence=[], datasheets={}, today=NOW.date())
    assert len(statuses) == sum(len(load_catalogue(c).controls) for c in catalogue_ids())


def test_resolve_control_names_bad_references() -> None:
    catalogue, control = resolve_control("nist-ai-rmf:MEASURE-2.11")
    assert catalogue.id == "nist-ai-rmf" and "bias" in control.title.lower()
    with pytest.raises(InputError, match="not a control reference"):
        resolve_control("MEASURE-2.11")
    with pytest.raises(InputError, match="has no control 'MEASURE-9.9'"):
        resolve_control("nist-ai-rmf:MEASURE-9.9")
    with pytest.raises(NotFoundError, match="catalogue 'nist-csf' not found"):
        load_catalogue("nist-csf")


def _state(statuses: list, ref: str) -> object:
    return next(s for s in statuses if s.ref == ref)


def test_coverage_shows_what_is_met_by_what_and_the_gaps() -> None:
    system = make_system(
        controls=[
            {
                "control": "nist-ai-rmf:MEASURE-2.12",
                "applicable": False,
                "justification": "Vendor reports energy.",
            }
        ]
    )
    fairness = make_evidence({"accuracy": 0.8}, kind=EvidenceKind.FAIRNESS, name="groups")
    statuses = control_coverage(
        system, risks=[make_risk()], evidence=[fairness], datasheets={}, today=NOW.date()
    )
    bias = _state(statuses, "nist-ai-rmf:MEASURE-2.11")
    assert bias.state is ControlState.MET and bias.evidence == [fairness.id]  # type: ignore[attr-defined]
    oversight = _state(statuses, "eu-ai-act:ART-14")
    assert oversight.state is ControlState.MET and oversight.reason == "mitigates r1"  # type: ignore[attr-defined]
    redteam = _state(statuses, "nist-ai-rmf:MEASURE-2.7")
    assert redteam.state is ControlState.GAP and redteam.evidence == []  # type: ignore[attr-defined]
    energy = _state(statuses, "nist-ai-rmf:MEASURE-2.12")
    assert energy.state is ControlState.NOT_APPLICABLE and energy.reason == "Vendor reports energy."  # type: ignore[attr-defined]
    genai = _state(statuses, "nist-genai:GAI-2")
    assert genai.state is ControlState.NOT_APPLICABLE and genai.reason == "applies only if generative"  # type: ignore[attr-defined]
    disclosure = _state(statuses, "eu-ai-act:ART-50.1")
    assert disclosure.state is ControlState.NOT_APPLICABLE  # type: ignore[attr-defined]


def test_evidence_naming_a_control_meets_it_unless_it_failed() -> None:
    from steward.govern.evidence import attestation

    system = make_system()
    ok = attestation(
        system_id="credit",
        system_version="1.0",
        name="training",
        statement="All staff trained.",
        recorded_at=NOW,
        recorded_by="HR",
        controls=["nist-ai-rmf:GOVERN-2.2"],
    )
    failed = attestation(
        system_id="credit",
        system_version="1.0",
        name="logging",
        statement="Logs incomplete.",
        recorded_at=NOW,
        recorded_by="audit",
        controls=["eu-ai-act:ART-12"],
        passed=False,
    )
    statuses = control_coverage(system, risks=[], evidence=[ok, failed], datasheets={}, today=NOW.date())
    assert _state(statuses, "nist-ai-rmf:GOVERN-2.2").state is ControlState.MET  # type: ignore[attr-defined]
    assert _state(statuses, "eu-ai-act:ART-12").state is ControlState.GAP  # type: ignore[attr-defined]
    # without risks, the risk-assessment source cannot show anything
    assert _state(statuses, "eu-ai-act:ART-9").state is ControlState.GAP  # type: ignore[attr-defined]


def test_oversight_none_does_not_meet_oversight_controls() -> None:
    statuses = control_coverage(
        make_system(human_oversight="none"), risks=[], evidence=[], datasheets={}, today=NOW.date()
    )
    assert _state(statuses, "nist-ai-rmf:MAP-3.5").state is ControlState.GAP  # type: ignore[attr-defined]
