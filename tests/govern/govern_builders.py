"""Builders for governance records, so each test states only what it is about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.govern.evidence import Evidence, evidence_from_metrics_json
from steward.govern.inventory import AISystem
from steward.govern.requirements import EvidenceKind
from steward.govern.risk import Risk

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def system_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "credit",
        "name": "Credit pre-screening",
        "version": "1.0",
        "owner": "Lending",
        "description": "Scores credit applications.",
        "use_cases": [
            {
                "name": "Pre-screen",
                "business_problem": "Too many applications.",
                "workflow": "Score, then review.",
                "key_inputs": ["application"],
                "key_outputs": ["score"],
            }
        ],
        "intended_uses": ["Ordering applications for underwriters."],
        "foreseeable_misuses": ["Automatic declines."],
        "stakeholders": [{"name": "applicants", "kind": "affected-non-user"}],
        "org_role": "both",
        "eu_ai_act_role": "provider-and-deployer",
        "eu_ai_act_tier": "high-risk",
        "human_oversight": "human-in-the-loop",
        "consequential_domains": ["credit"],
        "languages": ["en"],
        "regions": ["EU"],
        "status": "development",
        "release_requirements": [
            {
                "kind": "evaluation",
                "name": "holdout",
                "max_age_days": 30,
                "thresholds": ["recall >= 0.9", "fpr <= 0.03"],
            }
        ],
    }
    doc.update(overrides)
    return doc


def make_system(**overrides: Any) -> AISystem:
    return AISystem.model_validate(system_doc(**overrides))


def risk_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "r1",
        "system_id": "credit",
        "title": "Disparate impact",
        "description": "Some groups are declined more often.",
        "stakeholders": ["applicants"],
        "severity": 5,
        "likelihood": 4,
        "treatment": "mitigate",
        "mitigations": [{"description": "Human review", "controls": ["eu-ai-act:ART-14"]}],
        "residual_severity": 4,
        "residual_likelihood": 2,
        "owner": "Lending",
        "review_date": "2030-01-01",
        "reviewed_by": "Risk committee",
        "reviewed_on": "2026-11-01",
    }
    doc.update(overrides)
    return doc


def make_risk(**overrides: Any) -> Risk:
    return Risk.model_validate(risk_doc(**overrides))


def make_evidence(
    metrics: dict[str, Any],
    *,
    system: AISystem | None = None,
    kind: EvidenceKind = EvidenceKind.EVALUATION,
    name: str = "holdout",
    recorded_at: dt.datetime = NOW,
) -> Evidence:
    import json

    system = system or make_system()
    return evidence_from_metrics_json(
        json.dumps(metrics).encode(),
        system_id=system.id,
        system_version=system.version,
        kind=kind,
        name=name,
        subject="model:credit-lr",
        subject_version="1.0",
        recorded_at=recorded_at,
    )
