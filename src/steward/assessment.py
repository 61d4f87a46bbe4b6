"""Findings, decisions and the assessment the guard returns.

A :class:`Finding` says what a detector found, where (character offsets), how sure it
is and which policy entry made it matter. An :class:`Assessment` is the guard's whole
answer. No API's wire format lives here: :func:`steward.server.bedrock.bedrock_response`
renders an assessment as Amazon Bedrock's ``ApplyGuardrail`` response (with
:meth:`Assessment.steward_extras` under a ``steward`` key that Bedrock clients ignore), and
:meth:`Assessment.to_dict` is Steward's own JSON form.

Matched text is sensitive: ``repr()`` of a finding masks it, and :meth:`Finding.to_dict`
only includes it when asked, so logs and the audit trail stay clean by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from steward.policy import limits
from steward.policy.schema import Strength

__all__ = [
    "Action",
    "Assessment",
    "Confidence",
    "Finding",
    "FindingAction",
    "PolicyKind",
    "Source",
    "TraceStep",
    "Vault",
    "confidence_for",
    "mask_text",
    "meets_strength",
]


class Source(StrEnum):
    """Which side of the conversation the text comes from."""

    INPUT = "input"
    OUTPUT = "output"

    @classmethod
    def parse(cls, value: str | Source) -> Source:
        """Accept ``input``/``output`` in any case (Bedrock writes ``INPUT``)."""
        if isinstance(value, Source):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ValueError(f"source must be 'input' or 'output', not {value!r}") from None


class PolicyKind(StrEnum):
    """The policy sections of an assessment, named as in Bedrock's response."""

    CONTENT = "contentPolicy"
    TOPIC = "topicPolicy"
    WORD = "wordPolicy"
    SENSITIVE_INFORMATION = "sensitiveInformationPolicy"
    CONTEXTUAL_GROUNDING = "contextualGroundingPolicy"


class Confidence(StrEnum):
    """A score bucketed the way Bedrock reports content-filter confidence."""

    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class FindingAction(StrEnum):
    """What the guard did about one finding."""

    BLOCKED = "BLOCKED"
    ANONYMIZED = "ANONYMIZED"
    NONE = "NONE"


class Action(StrEnum):
    """The overall decision, as Bedrock names it."""

    NONE = "NONE"
    GUARDRAIL_INTERVENED = "GUARDRAIL_INTERVENED"


#: Lower edges of the LOW, MEDIUM and HIGH confidence buckets for a calibrated score.
CONFIDENCE_EDGES: tuple[tuple[float, Confidence], ...] = (
    (0.85, Confidence.HIGH),
    (0.6, Confidence.MEDIUM),
    (0.35, Confidence.LOW),
)

_ORDER = {Confidence.NONE: 0, Confidence.LOW: 1, Confidence.MEDIUM: 2, Confidence.HIGH: 3}
#: Lowest confidence each filter strength acts on: LOW acts only on HIGH confidence.
_STRENGTH_FLOOR = {
    Strength.LOW: Confidence.HIGH,
    Strength.MEDIUM: Confidence.MEDIUM,
    Strength.HIGH: Confidence.LOW,
}


def confidence_for(score: float) -> Confidence:
    """Bucket a calibrated 0–1 score into NONE/LOW/MEDIUM/HIGH."""
    for edge, bucket in CONFIDENCE_EDGES:
        if score >= edge:
            return bucket
    return Confidence.NONE


def meets_strength(confidence: Confidence, strength: Strength) -> bool:
    """Whether a filter of ``strength`` acts on a finding of ``confidence``.

    Bedrock's semantics: HIGH strength acts on LOW, MEDIUM and HIGH confidence; MEDIUM on
    MEDIUM and HIGH; LOW on HIGH only; NONE on nothing.
    """
    if strength is Strength.NONE or confidence is Confidence.NONE:
        return False
    return _ORDER[confidence] >= _ORDER[_STRENGTH_FLOOR[strength]]


def mask_text(text: str) -> str:
    """A log-safe stand-in for sensitive text: first character and length only."""
    if not text:
        return ""
    return f"{text[0]}…[{len(text)} chars]"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found in the text.

    ``type`` is the entity or category (``EMAIL``, ``HATE``, a topic or regex name);
    ``rule`` is the path of the policy entry that made it matter
    (``sensitive_information.pii_entities[EMAIL]``); ``start``/``end`` are character
    offsets into the checked text (both 0 for findings about the whole text).
    """

    policy: PolicyKind
    type: str
    detector: str
    start: int
    end: int
    match: str
    score: float
    rule: str
    action: FindingAction = FindingAction.NONE
    details: dict[str, Any] = field(default_factory=dict)
    #: Whether this finding sends the text to human review (a REVIEW rule, or a score inside a
    #: content filter's review band). ``action`` is what the caller was answered with meanwhile.
    review: bool = False

    @property
    def confidence(self) -> Confidence:
        """The score's confidence bucket."""
        return confidence_for(self.score)

    @property
    def risk(self) -> float:
        """The score as a risk, higher = worse: turned round (``1 - score``) for grounding and
        relevance, where a low score is the bad sign."""
        if self.policy is PolicyKind.CONTEXTUAL_GROUNDING:
            return 1.0 - self.score
        return self.score

    def with_action(self, action: FindingAction) -> Finding:
        """A copy of this finding with the guard's action filled in."""
        return replace(self, action=action)

    def __repr__(self) -> str:
        return (
            f"Finding({self.policy.value}:{self.type} {self.start}-{self.end} "
            f"match={mask_text(self.match)!r} score={self.score:.3f} action={self.action.value})"
        )

    def to_dict(self, *, include_match: bool = False) -> dict[str, Any]:
        """A JSON-ready form; the matched text only when ``include_match`` is true."""
        out: dict[str, Any] = {
            "policy": self.policy.value,
            "type": self.type,
            "detector": self.detector,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "confidence": self.confidence.value,
            "action": self.action.value,
            "rule": self.rule,
        }
        out["match"] = self.match if include_match else mask_text(self.match)
        if self.details:
            out["details"] = self.details
        if self.review:
            out["review"] = True
        return out


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of the guard's work, for explaining a decision."""

    step: str
    detail: str
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"step": self.step, "detail": self.detail, "duration_ms": round(self.duration_ms, 3)}


class Vault(Protocol):
    """What the caller of a guard does with the pseudonym vault an assessment carries.

    The vault is always a :class:`steward.anonymize.PseudonymVault`, which matches this protocol
    without naming it; the protocol keeps this module below ``anonymize`` (an assessment is what
    a guard says, and its caller needs only these two operations of the masking package's vault).
    The next turn gets the vault back sealed (``PseudonymVault.open(token, key)``), or as the
    same object; typed code that passes it unsealed narrows it with ``isinstance`` first.
    """

    def seal(self, key: str | bytes) -> str:
        """Encrypt the vault with ``key`` into a token the caller keeps for the next turn."""
        ...

    def restore(self, text: str) -> str:
        """Put the original values back in place of every pseudonym this vault issued."""
        ...


def text_units(n_chars: int) -> int:
    """Bedrock's text units: one per started 1,000 characters."""
    return max(1, math.ceil(n_chars / limits.TEXT_UNIT_CHARS)) if n_chars else 0


@dataclass(frozen=True, slots=True)
class Assessment:
    """The guard's answer for one text."""

    action: Action
    source: Source
    text_length: int
    output_text: str | None
    findings: tuple[Finding, ...]
    trace: tuple[TraceStep, ...]
    latency_ms: float
    policy_name: str
    policies_run: tuple[PolicyKind, ...]
    action_reason: str = ""
    #: Continuous scores per content category (and grounding/relevance, where high = well
    #: grounded), for callers that want to set their own thresholds: every rule enabled in
    #: this direction, scores below any filter's strength and report-only (action NONE) rules
    #: included, since watching a report-only filter's scores is how one tunes it before it
    #: acts. For ranking texts use :attr:`risk_score`, which leaves report-only rules out.
    scores: dict[str, float] = field(default_factory=dict)
    #: The ranking score, 0–1, higher = worse: the highest risk among the candidates of
    #: rules that can act in this direction (action BLOCK or ANONYMIZE), whether or not this
    #: candidate reached the rule's strength or threshold (so it ranks texts continuously);
    #: a grounding or relevance score counts as ``1 - score``. A report-only rule (action
    #: NONE: profanity on input in the default pack, an unsupported language under REVIEW)
    #: never raises it. 0.0 when nothing that can act was found.
    risk_score: float = 0.0
    #: :attr:`risk_score` over blocking rules only (masking rules left out): the ranking
    #: that matches "caught = blocked".
    block_risk_score: float = 0.0
    #: The pseudonym vault used for masking (pseudonym style only); the caller keeps it, or
    #: seals it with a key, for the next turn of the conversation.
    vault: Vault | None = None

    @property
    def blocked(self) -> bool:
        """Whether any finding blocked the text."""
        return any(f.action is FindingAction.BLOCKED for f in self.findings)

    @property
    def intervened(self) -> bool:
        """Whether the guard changed or blocked the text."""
        return self.action is Action.GUARDRAIL_INTERVENED

    @property
    def review_findings(self) -> tuple[Finding, ...]:
        """The findings that send this text to human review (empty: no review needed)."""
        return tuple(f for f in self.findings if f.review)

    @property
    def needs_review(self) -> bool:
        """Whether a person should look at this decision (some finding routes it to review)."""
        return any(f.review for f in self.findings)

    def usage(self) -> dict[str, int]:
        """Text units processed per policy type, in Bedrock's field names."""
        units = text_units(self.text_length)
        ran = set(self.policies_run)

        def u(kind: PolicyKind) -> int:
            return units if kind in ran else 0

        return {
            "topicPolicyUnits": u(PolicyKind.TOPIC),
            "contentPolicyUnits": u(PolicyKind.CONTENT),
            "wordPolicyUnits": u(PolicyKind.WORD),
            "sensitiveInformationPolicyUnits": u(PolicyKind.SENSITIVE_INFORMATION),
            "sensitiveInformationPolicyFreeUnits": 0,
            "contextualGroundingPolicyUnits": u(PolicyKind.CONTEXTUAL_GROUNDING),
        }

    def steward_extras(self, *, request_id: str | None = None, include_match: bool = False) -> dict[str, Any]:
        """What Steward adds beyond Bedrock: offsets, scores, ranking scores, trace, latency in ms."""
        extras: dict[str, Any] = {
            "findings": [f.to_dict(include_match=include_match) for f in self.findings],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "riskScore": round(self.risk_score, 4),
            "blockRiskScore": round(self.block_risk_score, 4),
            "trace": [t.to_dict() for t in self.trace],
            "latencyMs": round(self.latency_ms, 3),
            "policy": self.policy_name,
        }
        if request_id is not None:
            extras["requestId"] = request_id
        if self.needs_review:
            extras["review"] = {"required": True, "rules": sorted({f.rule for f in self.review_findings})}
        return extras

    def to_dict(self, *, include_match: bool = False) -> dict[str, Any]:
        """Steward's own JSON form (used by the CLI's ``--json``)."""
        return {
            "action": self.action.value,
            "actionReason": self.action_reason,
            "source": self.source.value,
            "output": self.output_text,
            "usage": self.usage(),
            **self.steward_extras(include_match=include_match),
        }
