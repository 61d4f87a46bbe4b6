"""Stand-in detectors shared by the guard tests and the review tests (a module of its own name,
beside the root conftest, so every test folder can import it)."""

from __future__ import annotations

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.policy.schema import Policy
from steward.rules import rule_key


class FixedContent(Detector):
    """A stand-in learned detector that reports fixed category scores over the whole text,
    and counts its calls (so a test can see whether the guard ran it)."""

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
