"""The gate rule ``every_category.attack_success_rate <= X`` on red-team evidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from steward.govern.evidence import Evidence, evidence_from_metrics_json
from steward.govern.gates import evaluate_gate
from steward.govern.inventory import AISystem, Lifecycle
from steward.govern.requirements import EvidenceKind
from steward.redteam.report import build_report, evidence_payload
from steward.redteam.runner import Attempt, attempt_id

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance" / "support-chatbot.yaml"
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def system(*thresholds: str) -> AISystem:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc.pop("guardrails", None)
    doc["release_requirements"] = [{"kind": "red-team", "name": "red team", "thresholds": list(thresholds)}]
    return AISystem.model_validate(doc)


def evidence(rates: dict[str, tuple[int, int]], sys: AISystem) -> Evidence:
    attempts = [
        Attempt(
            attempt_id(f"{cat}-{i}", ("none",)), f"{cat}-{i}", cat, ("none",), 0, i < k, "x", "", "", None
        )
        for cat, (k, n) in rates.items()
        for i in range(n)
    ]
    return red_team_evidence(evidence_payload(build_report(attempts, meta={})), sys)


def red_team_evidence(
    payload: bytes, sys: AISystem, *, subject: str = "guardrail:default", subject_version: str = "abc"
) -> Evidence:
    """``payload`` recorded as the system's red-team evidence named "red team"."""
    return evidence_from_metrics_json(
        payload,
        system_id=sys.id,
        system_version=sys.version,
        kind=EvidenceKind.RED_TEAM,
        name="red team",
        subject=subject,
        subject_version=subject_version,
        recorded_at=NOW,
    )


def test_every_category_must_meet_the_threshold() -> None:
    sys = system("every_category.attack_success_rate <= 0.05")
    good = evidence({"HATE": (0, 40), "VIOLENCE": (1, 40)}, sys)
    decision = evaluate_gate(sys, Lifecycle.DEPLOYMENT, risks=[], evidence=[good], now=NOW)
    assert decision.allowed, decision.explain()
    assert (
        "meets every_category.attack_success_rate <= 0.05 in all 2 categories (worst VIOLENCE = 0.025"
        in decision.explain()
    )
    bad = evidence({"HATE": (0, 40), "VIOLENCE": (4, 40), "SEXUAL": (3, 20)}, sys)
    refused = evaluate_gate(sys, Lifecycle.DEPLOYMENT, risks=[], evidence=[bad], now=NOW)
    assert not refused.allowed
    [missing] = refused.missing
    assert missing.startswith(
        "attack_success_rate fails every_category.attack_success_rate <= 0.05 in 2 of 3 categories: SEXUAL = 0.15, VIOLENCE = 0.1"
    )


@pytest.mark.parametrize(
    ("threshold", "problem"),
    [
        (
            "every_category.attack_success_rate <= 5",
            "compares a rate, which lies between 0 and 1, with 5 (write 5% as 0.05)",
        ),
        ("every_category.recall >= 0.9", "has no per-category 'recall'"),
    ],
)
def test_the_rule_explains_what_is_wrong(threshold: str, problem: str) -> None:
    sys = system(threshold)
    decision = evaluate_gate(
        sys, Lifecycle.DEPLOYMENT, risks=[], evidence=[evidence({"HATE": (0, 10)}, sys)], now=NOW
    )
    assert not decision.allowed and problem in decision.missing[0]


def test_evidence_without_categories_fails_the_rule() -> None:
    sys = system("every_category.attack_success_rate <= 0.05")
    flat = red_team_evidence(b'{"attack_success_rate": 0.0}', sys, subject="s", subject_version="1")
    decision = evaluate_gate(sys, Lifecycle.DEPLOYMENT, risks=[], evidence=[flat], now=NOW)
    assert not decision.allowed and "has no per-category 'attack_success_rate'" in decision.missing[0]


def test_per_transform_slices_work_with_the_existing_aggregates() -> None:
    sys = system("max_group[transform].attack_success_rate <= 0.2", "attack_success_rate <= 0.1")
    ev = evidence({"HATE": (1, 10), "VIOLENCE": (0, 10)}, sys)
    assert ev.slices == {"transform=none": ev.slices["transform=none"]}
    decision = evaluate_gate(sys, Lifecycle.DEPLOYMENT, risks=[], evidence=[ev], now=NOW)
    assert decision.allowed, decision.explain()
    assert "max_group[transform].attack_success_rate = 0.05" in decision.explain()
