"""The guard: runs a policy's detectors over a text and decides what to do.

    Guard(policy).apply(text, source="input") -> Assessment

Detectors run in ascending cost (the cascade): cheap deterministic ones first, learned
ones after. Once a finding blocks the text, the remaining detectors cannot change the
decision, so they are skipped unless the caller asked for the full picture
(``output_scope="FULL"``). Each finding is then judged against the policy rule it names,
for the direction being checked: off, reported only, masked, or blocked.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from steward.anonymize import PseudonymOperator, PseudonymVault, TagOperator, mask
from steward.anonymize.base import Operator
from steward.assessment import (
    Action,
    Assessment,
    Finding,
    FindingAction,
    PolicyKind,
    Source,
    TraceStep,
    meets_strength,
)
from steward.detectors import DetectionRequest, Detector, detector_classes
from steward.errors import InputError, InputTooLargeError
from steward.models.classifier import shared_encoding
from steward.policy import limits
from steward.policy.schema import Policy
from steward.rules import RuleSetting, rule_settings

__all__ = ["Guard", "validate_text"]

_ACTIONS = {"BLOCK": FindingAction.BLOCKED, "ANONYMIZE": FindingAction.ANONYMIZED, "NONE": FindingAction.NONE}


def validate_text(text: object, *, field: str = "text", max_chars: int = limits.TEXT_MAX_CHARS) -> str:
    """Return ``text`` if it can be checked; otherwise raise an :class:`InputError` naming ``field``."""
    if not isinstance(text, str):
        raise InputError(f"must be a string, not {type(text).__name__}", field=field)
    if len(text) > max_chars:
        raise InputTooLargeError(field=field, size=len(text), limit=max_chars)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"is not valid UTF-8 (an unpaired surrogate at character {exc.start})", field=field
        ) from None
    return text


class Guard:
    """A policy made ready to apply: its detectors are built once and reused."""

    def __init__(self, policy: Policy, *, detectors: Sequence[Detector] | None = None) -> None:
        self.policy = policy
        if detectors is None:
            built = (cls.from_policy(policy) for cls in detector_classes())
            detectors = [d for d in built if d is not None]
        self.detectors: list[Detector] = sorted(detectors, key=lambda d: d.cost)
        self._rules = {source: rule_settings(policy, source) for source in Source}

    def apply(
        self,
        text: str,
        source: str | Source = Source.INPUT,
        *,
        grounding_source: str | None = None,
        query: str | None = None,
        untrusted: bool = False,
        output_scope: str = "INTERVENTIONS",
        vault: PseudonymVault | None = None,
    ) -> Assessment:
        """Check one text and decide: NONE, or GUARDRAIL_INTERVENED with masked or blocked output.

        ``grounding_source`` and ``query`` feed the contextual-grounding check of a response;
        ``untrusted`` marks third-party content (documents, tool output) for indirect prompt
        injection; ``vault`` carries pseudonyms across a conversation (pseudonym masking).
        """
        started = time.perf_counter()
        text = validate_text(text)
        src = Source.parse(source)
        if grounding_source is not None:
            validate_text(grounding_source, field="grounding_source")
        if query is not None:
            validate_text(query, field="query")
        rules = self._rules[src]
        request = DetectionRequest(
            source=src, grounding_source=grounding_source, query=query, untrusted=untrusted, rules=rules
        )
        full = output_scope == "FULL"
        findings: list[Finding] = []
        scores: dict[str, float] = {}
        trace: list[TraceStep] = []
        ran: set[PolicyKind] = set()
        # Detectors reading the same text (content filters, denied topics) share one encoder pass.
        with shared_encoding():
            for detector in self.detectors:
                if not (detector.rules() & rules.keys()):
                    continue
                if not full and any(f.action is FindingAction.BLOCKED for f in findings):
                    trace.append(TraceStep(detector.name, "skipped: the text is already blocked"))
                    continue
                t0 = time.perf_counter()
                raw = detector.detect(text, request)
                ran.add(detector.policy_kind)
                judged = [j for j in (self._judge(f, rules, scores) for f in raw) if j is not None]
                findings.extend(judged)
                trace.append(
                    TraceStep(
                        detector.name,
                        f"{len(raw)} candidate(s), {len(judged)} finding(s)",
                        (time.perf_counter() - t0) * 1000,
                    )
                )
        return self._decide(text, src, findings, scores, trace, ran, started, vault)

    def apply_batch(self, texts: Sequence[str], source: str | Source = Source.INPUT) -> list[Assessment]:
        """Check many texts; equivalent to calling :meth:`apply` on each."""
        return [self.apply(t, source) for t in texts]

    @staticmethod
    def _judge(finding: Finding, rules: dict[str, RuleSetting], scores: dict[str, float]) -> Finding | None:
        setting = rules.get(finding.rule)
        if setting is None:
            return None
        if finding.policy in (PolicyKind.CONTENT, PolicyKind.CONTEXTUAL_GROUNDING):
            scores[finding.type] = max(scores.get(finding.type, 0.0), finding.score)
        if setting.strength is not None:
            if not meets_strength(finding.confidence, setting.strength):
                return None
            finding = replace(finding, details={**finding.details, "strength": setting.strength.value})
        if setting.threshold is not None:
            if finding.score >= setting.threshold:
                return None
            finding = replace(finding, details={**finding.details, "threshold": setting.threshold})
        return finding.with_action(_ACTIONS[setting.action])

    def _operator(self, vault: PseudonymVault | None) -> tuple[Operator, PseudonymVault | None]:
        sens = self.policy.sensitive_information
        if sens is not None and sens.anonymization.style == "pseudonym":
            vault = vault if vault is not None else PseudonymVault()
            return PseudonymOperator(vault), vault
        return TagOperator(), None

    def _decide(
        self,
        text: str,
        source: Source,
        findings: list[Finding],
        scores: dict[str, float],
        trace: list[TraceStep],
        ran: set[PolicyKind],
        started: float,
        vault: PseudonymVault | None,
    ) -> Assessment:
        blocking = [f for f in findings if f.action is FindingAction.BLOCKED]
        masking = [f for f in findings if f.action is FindingAction.ANONYMIZED]
        used_vault: PseudonymVault | None = None
        if blocking:
            action = Action.GUARDRAIL_INTERVENED
            output: str | None = (
                self.policy.blocked_input_message
                if source is Source.INPUT
                else self.policy.blocked_output_message
            )
            reason = "blocked by " + _describe(blocking)
        elif masking:
            action = Action.GUARDRAIL_INTERVENED
            operator, used_vault = self._operator(vault)
            output = mask(text, masking, operator)
            reason = "masked " + _describe(masking)
        else:
            action = Action.NONE
            output = None
            reported = [f for f in findings if f.action is FindingAction.NONE]
            reason = ("reported only: " + _describe(reported)) if reported else ""
        trace.append(TraceStep("decision", f"{action.value}: {reason}" if reason else action.value))
        return Assessment(
            action=action,
            source=source,
            text_length=len(text),
            output_text=output,
            findings=tuple(sorted(findings, key=lambda f: (f.start, f.end))),
            trace=tuple(trace),
            latency_ms=(time.perf_counter() - started) * 1000,
            policy_name=self.policy.name,
            policies_run=tuple(sorted(ran)),
            action_reason=reason,
            scores=scores,
            vault=used_vault,
        )


def _describe(findings: Sequence[Finding]) -> str:
    """A short human summary: ``contentPolicy HATE (HIGH), sensitiveInformationPolicy EMAIL x2``."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[(f.policy.value, f.type)] = counts.get((f.policy.value, f.type), 0) + 1
    return ", ".join(f"{p} {t}" + (f" x{n}" if n > 1 else "") for (p, t), n in counts.items())
