from __future__ import annotations

import datetime as dt

from govern_builders import NOW, make_evidence, make_risk, make_system

from steward.govern.gates import evaluate_gate, latest_evidence
from steward.govern.inventory import Lifecycle
from steward.govern.requirements import EvidenceKind

GOOD = {"recall": 0.93, "fpr": 0.02}


def test_allowed_when_every_requirement_and_the_risk_assessment_hold() -> None:
    system = make_system()
    decision = evaluate_gate(
        system, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[make_evidence(GOOD)], now=NOW
    )
    assert decision.allowed, decision.explain()
    assert decision.missing == []
    assert decision.explain().startswith("ALLOWED: credit 1.0 development -> deployment")


def test_missing_evidence_is_named() -> None:
    decision = evaluate_gate(make_system(), Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[], now=NOW)
    assert not decision.allowed
    assert decision.missing == ["no evaluation evidence 'holdout' recorded for version 1.0"]


def test_evidence_for_another_version_or_name_does_not_count() -> None:
    old = make_evidence(GOOD, system=make_system(version="0.9"))
    other = make_evidence(GOOD, name="smoke test")
    decision = evaluate_gate(
        make_system(), Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[old, other], now=NOW
    )
    assert decision.missing == ["no evaluation evidence 'holdout' recorded for version 1.0"]


def test_stale_evidence_is_refused_with_its_age() -> None:
    stale = make_evidence(GOOD, recorded_at=NOW - dt.timedelta(days=45))
    decision = evaluate_gate(
        make_system(), Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[stale], now=NOW
    )
    assert not decision.allowed
    assert decision.missing == [
        f"evaluation evidence 'holdout' {stale.id} from 2026-10-07 is 45 days old, over the limit of 30"
    ]


def test_thresholds_use_the_newest_record_and_say_which_fail() -> None:
    older = make_evidence(GOOD, recorded_at=NOW - dt.timedelta(days=2))
    newer = make_evidence({"recall": 0.85, "fpr": 0.02}, recorded_at=NOW - dt.timedelta(days=1))
    system = make_system()
    req = system.release_requirements[0]
    assert latest_evidence(system, req, [newer, older]) == newer
    decision = evaluate_gate(
        system, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[older, newer], now=NOW
    )
    assert decision.missing == [f"recall = 0.85 (fails recall >= 0.9; {newer.id}, 2026-11-20)"]


def test_a_metric_the_evidence_lacks_fails_its_threshold() -> None:
    decision = evaluate_gate(
        make_system(),
        Lifecycle.DEPLOYMENT,
        risks=[make_risk()],
        evidence=[make_evidence({"recall": 0.95})],
        now=NOW,
    )
    assert len(decision.missing) == 1 and "has no metric 'fpr'" in decision.missing[0]


def test_consequential_system_without_oversight_or_assessed_risks_cannot_deploy() -> None:
    system = make_system(human_oversight="none")
    draft = make_risk(
        treatment=None,
        mitigations=[],
        residual_severity=None,
        residual_likelihood=None,
        reviewed_by=None,
        reviewed_on=None,
    )
    decision = evaluate_gate(
        system, Lifecycle.DEPLOYMENT, risks=[draft], evidence=[make_evidence(GOOD)], now=NOW
    )
    assert not decision.allowed
    assert (
        decision.missing[0]
        == "human oversight is 'none', but the system supports consequential decisions (credit)"
    )
    assert "risk 'r1' has no treatment" in decision.missing
    no_risks = evaluate_gate(
        make_system(), Lifecycle.OPERATION, risks=[], evidence=[make_evidence(GOOD)], now=NOW
    )
    assert no_risks.missing == ["no risks are registered: the risk assessment is missing"]


def test_consequential_system_needs_release_requirements() -> None:
    system = make_system(release_requirements=[])
    decision = evaluate_gate(system, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[], now=NOW)
    assert decision.missing == [
        "no release_requirements are defined for a system that supports consequential decisions"
    ]


def test_low_risk_system_needs_only_its_requirements() -> None:
    system = make_system(
        consequential_domains=[], eu_ai_act_tier="minimal", human_oversight="none", release_requirements=[]
    )
    decision = evaluate_gate(system, Lifecycle.DEPLOYMENT, risks=[], evidence=[], now=NOW)
    assert decision.allowed and decision.checks[0].detail == "no release requirements apply"


def test_prohibited_systems_never_deploy_and_other_statuses_are_ungated() -> None:
    banned = make_system(eu_ai_act_tier="prohibited")
    decision = evaluate_gate(
        banned, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[make_evidence(GOOD)], now=NOW
    )
    assert "prohibited tier" in decision.missing[0]
    assert evaluate_gate(banned, Lifecycle.RETIRED, risks=[], evidence=[], now=NOW).allowed


def test_failed_reviews_block() -> None:
    from steward.govern.evidence import attestation
    from steward.govern.requirements import EvidenceRequirement

    system = make_system(release_requirements=[EvidenceRequirement(kind=EvidenceKind.REVIEW)])
    failed = attestation(
        system_id="credit",
        system_version="1.0",
        name="validation",
        statement="Weights do not match.",
        recorded_at=NOW,
        recorded_by="validator",
        kind=EvidenceKind.REVIEW,
        passed=False,
    )
    decision = evaluate_gate(system, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[failed], now=NOW)
    assert decision.missing == [f"review evidence {failed.id} records a failure"]
    assert decision.to_dict()["allowed"] is False


def test_guardrails_must_be_frozen_versions_the_guard_has() -> None:
    low = {"consequential_domains": [], "eu_ai_act_tier": "limited", "release_requirements": []}
    draft = make_system(guardrails=[{"id": "bot", "version": "DRAFT"}], **low)
    decision = evaluate_gate(
        draft, Lifecycle.DEPLOYMENT, risks=[], evidence=[], now=NOW, guardrail_versions=set()
    )
    assert decision.missing == [
        "guardrail 'bot' is referenced at DRAFT, which can change: freeze a version "
        "(steward guardrail version bot) and reference its number"
    ]
    frozen = make_system(guardrails=[{"id": "bot", "version": "2"}], **low)
    missing = evaluate_gate(
        frozen, Lifecycle.DEPLOYMENT, risks=[], evidence=[], now=NOW, guardrail_versions={("bot", "1")}
    )
    assert missing.missing == ["guardrail 'bot' version 2 is not in the guard's store"]
    present = evaluate_gate(
        frozen, Lifecycle.DEPLOYMENT, risks=[], evidence=[], now=NOW, guardrail_versions={("bot", "2")}
    )
    assert present.allowed
    unchecked = evaluate_gate(draft, Lifecycle.DEPLOYMENT, risks=[], evidence=[], now=NOW)
    assert unchecked.allowed  # without the store's versions the pure gate cannot check them


def test_a_subject_requirement_counts_only_evidence_about_the_pinned_version() -> None:
    from steward.govern.requirements import EvidenceRequirement

    req = EvidenceRequirement(
        kind=EvidenceKind.EVALUATION, subject="model:credit-lr", thresholds=["recall >= 0.9"]
    )
    system = make_system(models=[{"name": "credit-lr", "version": "2.0"}], release_requirements=[req])
    about_old_model = make_evidence(GOOD)  # subject model:credit-lr, subject_version 1.0
    decision = evaluate_gate(
        system, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[about_old_model], now=NOW
    )
    assert decision.missing == ["no evaluation evidence about model:credit-lr 2.0 recorded for version 1.0"]
    pinned_old = make_system(models=[{"name": "credit-lr", "version": "1.0"}], release_requirements=[req])
    assert evaluate_gate(
        pinned_old, Lifecycle.DEPLOYMENT, risks=[make_risk()], evidence=[about_old_model], now=NOW
    ).allowed
