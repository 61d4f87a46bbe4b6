from __future__ import annotations

import pytest

from steward import Action, Guard, parse_policy
from steward.assessment import (
    Confidence,
    Finding,
    FindingAction,
    PolicyKind,
    Source,
    confidence_for,
    meets_strength,
)
from steward.detectors.base import DetectionRequest, Detector
from steward.errors import InputError, InputTooLargeError
from steward.policy.schema import Policy, Strength
from steward.rules import rule_key


class FixedContent(Detector):
    """A stand-in learned detector that reports fixed category scores."""

    name = "fixed"
    policy_kind = PolicyKind.CONTENT
    cost = 10

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.calls = 0

    @classmethod
    def from_policy(cls, policy: Policy) -> Detector | None:
        return None

    def rules(self) -> frozenset[str]:
        return frozenset(rule_key("content_filters", c) for c in self.scores)

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        self.calls += 1
        return [
            Finding(PolicyKind.CONTENT, c, self.name, 0, len(text), text, s, rule_key("content_filters", c))
            for c, s in self.scores.items()
        ]


def _policy(**extra: object) -> Policy:
    return parse_policy({"name": "t", **extra})


@pytest.mark.parametrize(
    ("score", "strength", "acts"),
    [
        (0.95, "LOW", True),
        (0.7, "LOW", False),
        (0.7, "MEDIUM", True),
        (0.4, "MEDIUM", False),
        (0.4, "HIGH", True),
        (0.1, "HIGH", False),
    ],
)
def test_strength_semantics(score: float, strength: str, acts: bool) -> None:
    policy = _policy(content_filters=[{"category": "HATE", "input_strength": strength}])
    guard = Guard(policy, detectors=[FixedContent({"HATE": score})])
    result = guard.apply("some text", "input")
    assert (result.action is Action.GUARDRAIL_INTERVENED) is acts
    assert result.scores["HATE"] == score  # the continuous score is reported either way
    if acts:
        assert result.output_text == policy.blocked_input_message
        body = result.to_bedrock()
        (flt,) = body["assessments"][0]["contentPolicy"]["filters"]
        assert flt["type"] == "HATE" and flt["action"] == "BLOCKED" and flt["filterStrength"] == strength


def test_confidence_buckets() -> None:
    assert confidence_for(0.9) is Confidence.HIGH
    assert confidence_for(0.6) is Confidence.MEDIUM
    assert confidence_for(0.35) is Confidence.LOW
    assert confidence_for(0.1) is Confidence.NONE
    assert not meets_strength(Confidence.HIGH, Strength.NONE)


def test_direction_specific_settings() -> None:
    policy = _policy(
        content_filters=[{"category": "HATE", "input_strength": "HIGH", "output_enabled": False}]
    )
    guard = Guard(policy, detectors=[FixedContent({"HATE": 0.99})])
    assert guard.apply("x", "input").blocked
    assert not guard.apply("x", Source.OUTPUT).intervened
    assert guard.apply("x", "OUTPUT").source is Source.OUTPUT


def test_report_only_action_detects_but_passes() -> None:
    policy = _policy(content_filters=[{"category": "HATE", "input_action": "NONE"}])
    result = Guard(policy, detectors=[FixedContent({"HATE": 0.99})]).apply("x")
    assert result.action is Action.NONE
    assert [f.action for f in result.findings] == [FindingAction.NONE]
    assert "reported only" in result.action_reason
    assert result.to_bedrock()["assessments"][0].get("contentPolicy") is None
    assert (
        result.to_bedrock(output_scope="FULL")["assessments"][0]["contentPolicy"]["filters"][0]["action"]
        == "NONE"
    )


def test_cascade_skips_expensive_detectors_once_blocked() -> None:
    policy = _policy(
        content_filters=[{"category": "HATE"}],
        sensitive_information={"regexes": [{"name": "secret", "pattern": "s3cr3t", "action": "BLOCK"}]},
    )
    from steward.detectors.regex import RegexDetector

    content = FixedContent({"HATE": 0.99})
    regex = RegexDetector.from_policy(policy)
    assert regex is not None
    guard = Guard(policy, detectors=[content, regex])
    result = guard.apply("my s3cr3t")
    assert result.blocked and content.calls == 0
    assert any("skipped" in t.detail for t in result.trace)
    full = guard.apply("my s3cr3t", output_scope="FULL")
    assert content.calls == 1
    assert {f.type for f in full.findings} == {"secret", "HATE"}


def test_regex_masking_and_bedrock_shape() -> None:
    policy = _policy(sensitive_information={"regexes": [{"name": "ticket", "pattern": r"TICKET-\d+"}]})
    result = Guard(policy).apply("see TICKET-12 and TICKET-345")
    assert result.output_text == "see {ticket} and {ticket}"
    body = result.to_bedrock(request_id="r1")
    assert body["action"] == "GUARDRAIL_INTERVENED"
    assert body["outputs"] == [{"text": "see {ticket} and {ticket}"}]
    regexes = body["assessments"][0]["sensitiveInformationPolicy"]["regexes"]
    assert [r["match"] for r in regexes] == ["TICKET-12", "TICKET-345"]
    assert body["usage"]["sensitiveInformationPolicyUnits"] == 1
    assert body["guardrailCoverage"]["textCharacters"] == {"guarded": 28, "total": 28}
    findings = body["steward"]["findings"]
    assert [(f["start"], f["end"]) for f in findings] == [(4, 13), (18, 28)]
    assert "TICKET-12" not in str(findings)  # matched text is masked in Steward's extras
    assert body["steward"]["requestId"] == "r1"


def test_usage_counts_text_units() -> None:
    policy = _policy(sensitive_information={"regexes": [{"name": "x", "pattern": "zzz"}]})
    result = Guard(policy).apply("a" * 2001)
    assert result.usage()["sensitiveInformationPolicyUnits"] == 3
    assert result.usage()["contentPolicyUnits"] == 0


def test_hostile_input_to_a_regex_is_linear() -> None:
    policy = _policy(sensitive_information={"regexes": [{"name": "evil", "pattern": "(a+)+$"}]})
    # Catastrophic for a backtracking engine; RE2 answers at once.
    result = Guard(policy).apply("a" * 50_000 + "!")
    assert not result.intervened


def test_bad_input_names_the_problem() -> None:
    guard = Guard(_policy())
    with pytest.raises(InputError, match="text: must be a string"):
        guard.apply(123)  # type: ignore[arg-type]
    with pytest.raises(InputTooLargeError, match="over the limit of 200000"):
        guard.apply("a" * 200_001)
    with pytest.raises(InputError, match="not valid UTF-8"):
        guard.apply("bad \udcff byte")
    with pytest.raises(ValueError, match="source must be"):
        guard.apply("x", "sideways")
    with pytest.raises(InputError, match="grounding_source"):
        guard.apply("x", "output", grounding_source=5)  # type: ignore[arg-type]


def test_finding_repr_masks_the_match() -> None:
    f = Finding(PolicyKind.SENSITIVE_INFORMATION, "EMAIL", "pii", 0, 17, "alice@example.com", 1.0, "r")
    assert "alice@example.com" not in repr(f)
    assert "alice@example.com" not in str(f.to_dict())
    assert f.to_dict(include_match=True)["match"] == "alice@example.com"
