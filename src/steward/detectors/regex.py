"""Custom regex filters from the policy, on RE2 so no pattern or input can hang the guard."""

from __future__ import annotations

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.policy.regex_safety import compile_safe
from steward.policy.schema import Policy, RegexFilter
from steward.rules import rule_key

__all__ = ["RegexDetector"]


class RegexDetector(Detector):
    """Runs each custom pattern of ``sensitive_information.regexes``."""

    name = "regex"
    policy_kind = PolicyKind.SENSITIVE_INFORMATION
    cost = 1

    def __init__(self, filters: list[RegexFilter]) -> None:
        self._filters = [
            (f, compile_safe(f.pattern), rule_key("sensitive_information.regexes", f.name)) for f in filters
        ]

    @classmethod
    def from_policy(cls, policy: Policy) -> RegexDetector | None:
        sens = policy.sensitive_information
        if sens is None or not sens.regexes:
            return None
        return cls(list(sens.regexes))

    def rules(self) -> frozenset[str]:
        return frozenset(rule for _, _, rule in self._filters)

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        findings: list[Finding] = []
        for filt, compiled, rule in self._filters:
            if request.rules and rule not in request.rules:
                continue
            for m in compiled.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                findings.append(
                    Finding(
                        policy=PolicyKind.SENSITIVE_INFORMATION,
                        type=filt.name,
                        detector=self.name,
                        start=start,
                        end=end,
                        match=text[start:end],
                        score=1.0,
                        rule=rule,
                        details={"regex": filt.pattern},
                    )
                )
        return findings
