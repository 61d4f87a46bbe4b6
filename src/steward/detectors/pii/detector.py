"""The PII detector: the policy's entity types, each found by its recognizers.

Cheap first: a few RE2 sets (:class:`~steward.detectors.pii.prefilter.TriggerSet`) pick
the recognizers whose trigger occurs in the text, and only those run their patterns and
validators. The name model runs only when NAME is enabled and the text has a capital
letter. Findings carry exact character offsets into the checked text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from steward.assessment import Finding, PolicyKind
from steward.detectors.base import DetectionRequest, Detector
from steward.detectors.pii.names import NameModel, NameRecognizer
from steward.detectors.pii.prefilter import TriggerSet
from steward.detectors.pii.recognizer import Recognizer
from steward.detectors.pii.registry import recognizer_classes
from steward.policy.schema import PiiType, Policy
from steward.rules import rule_key

__all__ = ["MIN_SCORE", "PiiDetector"]

#: Candidates scored below this are dropped: a context-dependent pattern without its context.
MIN_SCORE = 0.5
_SECTION = "sensitive_information.pii_entities"


class PiiDetector(Detector):
    """Finds the PII entity types a policy lists, with validators where the type has one."""

    name = "pii"
    policy_kind = PolicyKind.SENSITIVE_INFORMATION
    cost = 2

    def __init__(self, entities: Iterable[PiiType], *, name_model: NameModel | None = None) -> None:
        wanted = frozenset(PiiType(e) for e in entities)
        self.entities = wanted
        self._recognizers: list[Recognizer] = [
            NameRecognizer(name_model) if cls is NameRecognizer else cls()
            for cls in recognizer_classes()
            if cls.entity in wanted
        ]
        self._rule_of = {t: rule_key(_SECTION, t.value) for t in wanted}
        self._rules = frozenset(self._rule_of.values())
        self._triggers = TriggerSet(
            [r.trigger for r in self._recognizers],
            [r.trigger_group for r in self._recognizers],
            [r.trigger_gate for r in self._recognizers],
        )

    @classmethod
    def from_policy(cls, policy: Policy) -> PiiDetector | None:
        sens = policy.sensitive_information
        if sens is None or not sens.pii_entities:
            return None
        return cls(e.type for e in sens.pii_entities)

    def rules(self) -> frozenset[str]:
        return self._rules

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        original = text
        text, encoded = _scannable(text)
        triggered = self._triggers.matching(text, encoded)
        if not triggered:
            return []  # most texts: nothing to run, sort or arbitrate
        findings: list[Finding] = []
        for i in sorted(triggered):
            recognizer = self._recognizers[i]
            rule = self._rule_of[recognizer.entity]
            if request.rules and rule not in request.rules:
                continue
            for span in recognizer.find(text):
                if span.score < MIN_SCORE or span.end <= span.start:
                    continue
                findings.append(
                    Finding(
                        policy=PolicyKind.SENSITIVE_INFORMATION,
                        type=recognizer.entity.value,
                        detector=self.name,
                        start=span.start,
                        end=span.end,
                        match=original[span.start : span.end],
                        score=span.score,
                        rule=rule,
                        details={"recognizer": recognizer.name, "validated": span.validated},
                    )
                )
        return _arbitrate(findings)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scannable(text: str) -> tuple[str, bytes]:
    """``text`` with unpaired surrogates (not encodable as UTF-8, which RE2 needs) replaced
    one-for-one by U+FFFD, so every offset still points into the original text; and its UTF-8.

    The guard refuses such text up front; this keeps the detector safe when called directly.
    The encoding made to check the text is the one the prefilter reads (it was made twice).
    """
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
        return text, text.encode("utf-8")


def _mostly_inside(inner: Finding, outer: Finding) -> bool:
    """Whether at least half of ``inner`` lies within ``outer``."""
    overlap = min(inner.end, outer.end) - max(inner.start, outer.start)
    return overlap > 0 and overlap * 2 >= inner.end - inner.start


def _arbitrate(findings: list[Finding]) -> list[Finding]:
    """One reading per value: drop a finding inside another of its type, or one that a
    surer finding of another type explains (``card number 4111…`` is a card, not a phone).

    Both passes sweep the findings in text order, comparing each only with the findings
    still open at its start, so hostile text with thousands of findings stays linear.
    """
    ordered = sorted(findings, key=lambda f: (f.start, -(f.end - f.start), -f.score))
    reach: dict[str, int] = {}
    distinct: list[Finding] = []
    for f in ordered:
        if f.end <= reach.get(f.type, -1):
            continue  # inside an earlier finding of the same type
        reach[f.type] = max(reach.get(f.type, -1), f.end)
        distinct.append(f)
    dropped: set[int] = set()
    active: list[int] = []
    for i, f in enumerate(distinct):
        active = [j for j in active if distinct[j].end > f.start]
        for j in active:
            k = distinct[j]
            if k.type == f.type:
                continue
            if k.score > f.score and _mostly_inside(f, k):
                dropped.add(i)
            elif f.score > k.score and _mostly_inside(k, f):
                dropped.add(j)
        active.append(i)
    return [f for i, f in enumerate(distinct) if i not in dropped]
