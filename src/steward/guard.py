"""The guard: runs a policy's detectors over a text and decides what to do.

    Guard(policy).apply(text, source="input") -> Assessment

Detectors run in ascending cost (the cascade): cheap deterministic ones first, learned
ones after. Once a finding blocks the text, the remaining detectors cannot change the
decision, so they are skipped unless the caller asked for the full picture
(``output_scope="FULL"``). Each finding is then judged against the policy rule it names,
for the direction being checked: off, reported only, masked, blocked, or sent to human
review (answered meanwhile as the policy's ``review_answer`` says).

A detector that reads only some languages (the learned ones read English) never judges text
in another: the language of each piece of the text is identified once per call
(:class:`~steward.detectors.language.TextLanguages`, on the request), the detector gets a
copy of the text with the pieces it cannot read blanked (offsets unchanged), and it is
skipped, with a trace step naming the language, when nothing it can read remains. What it
did not read is the language check's to report (the policy's ``languages`` section).
"""

from __future__ import annotations

import re
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
from steward.detectors.language import LanguagePiece, TextLanguages, preload
from steward.errors import InputError, InputTooLargeError
from steward.policy import limits
from steward.policy.schema import Policy, ReviewAnswer
from steward.rules import RuleSetting, rule_settings

__all__ = ["Guard", "validate_text"]

_ACTIONS = {"BLOCK": FindingAction.BLOCKED, "ANONYMIZE": FindingAction.ANONYMIZED, "NONE": FindingAction.NONE}
#: Rule actions that change the text; only their findings feed the ranking score.
_ACTING = frozenset({"BLOCK", "ANONYMIZE"})


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
            built = (cls.from_policy(policy) for cls in detector_classes(policy))
            detectors = [d for d in built if d is not None]
        self.detectors: list[Detector] = sorted(detectors, key=lambda d: d.cost)
        self._rules = {source: rule_settings(policy, source) for source in Source}
        #: What a REVIEW finding does to the answer the caller gets at once.
        self._review_action = (
            FindingAction.BLOCKED if policy.review_answer is ReviewAnswer.BLOCKED else FindingAction.NONE
        )
        if any(d.languages is not None for d in self.detectors):
            preload()  # language identification's model, so the first foreign text does not wait

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
        findings, scores, risks, trace, ran = self._run(
            text, src, grounding_source, query, untrusted, full=output_scope == "FULL"
        )
        return self._decide(text, src, findings, scores, risks, trace, ran, started, vault)

    def findings(self, text: str, source: str | Source = Source.INPUT) -> tuple[Finding, ...]:
        """What :meth:`apply` with ``output_scope="FULL"`` reports in ``findings``, and nothing else.

        For callers that only count findings (a data-set scan checks every cell of a file):
        the answer :meth:`apply` builds around them (the masked text, the reason, the trace,
        the scores) was a third of the guard's time per cell, thrown away there.
        """
        text = validate_text(text)
        findings = self._run(text, Source.parse(source), None, None, False, full=True, traced=False)[0]
        return tuple(sorted(findings, key=_span))

    def _run(
        self,
        text: str,
        src: Source,
        grounding_source: str | None,
        query: str | None,
        untrusted: bool,
        *,
        full: bool,
        traced: bool = True,
    ) -> tuple[list[Finding], dict[str, float], dict[str, float], list[TraceStep], set[PolicyKind]]:
        """Run the detectors over ``text`` and judge their findings: findings, scores, risks, trace, policies run.

        ``traced=False`` leaves the trace empty (:meth:`findings` throws it away): its steps,
        clock readings and formatted details, with the rule check's set, made :meth:`findings`
        35 µs a call on a short text with nothing to find; 27 µs without them.
        """
        rules = self._rules[src]
        identified = TextLanguages(text)  # pieces are identified on first use, once per call
        request = DetectionRequest(
            source=src,
            grounding_source=grounding_source,
            query=query,
            untrusted=untrusted,
            rules=rules,
            text_languages=identified,
        )
        findings: list[Finding] = []
        scores: dict[str, float] = {}
        risks: dict[str, float] = {}
        trace: list[TraceStep] = []
        ran: set[PolicyKind] = set()
        # Detectors reading the same text (content filters, denied topics) share one encoder pass:
        # ``request.encodings``, made fresh for this call.
        for detector in self.detectors:
            # isdisjoint stops at the first shared rule and builds no set (``&`` built one per call)
            if rules.keys().isdisjoint(detector.rules()):
                continue
            if not full and any(f.action is FindingAction.BLOCKED for f in findings):
                trace.append(TraceStep(detector.name, "skipped: the text is already blocked"))
                continue
            t0 = time.perf_counter() if traced else 0.0
            readable, unread = _reading(detector, identified)
            if unread and not _LETTER.search(readable):
                if traced:
                    trace.append(TraceStep(detector.name, "skipped: " + _unread_note(detector, unread)))
                continue
            raw = detector.detect(readable, request)
            if unread:
                raw = [_restore(f, text, unread) for f in raw]
            ran.add(detector.policy_kind)
            judged = [
                j
                for j in (self._judge(f, rules, scores, risks, self._review_action) for f in raw)
                if j is not None
            ]
            findings.extend(judged)
            if not traced:
                continue
            trace.append(
                TraceStep(
                    detector.name,
                    f"{len(raw)} candidate(s), {len(judged)} finding(s)"
                    + (f"; {_unread_note(detector, unread)}" if unread else ""),
                    (time.perf_counter() - t0) * 1000,
                )
            )
        return findings, scores, risks, trace, ran

    @staticmethod
    def _judge(
        finding: Finding,
        rules: dict[str, RuleSetting],
        scores: dict[str, float],
        risks: dict[str, float],
        review_action: FindingAction = FindingAction.NONE,
    ) -> Finding | None:
        """The finding with the rule's action, or ``None`` when the rule is off or not reached.

        Every candidate of an enabled rule feeds ``scores`` (display, report-only rules too);
        only a rule that can act (BLOCK, ANONYMIZE) feeds ``risks``, the ranking score per
        action, and it does so below its strength or threshold too, so texts rank continuously.
        A REVIEW rule, or a content score inside the filter's review band, marks the finding
        for review; ``review_action`` is what such a finding does to the answer meanwhile
        (the policy's ``review_answer``: NONE for ORIGINAL, BLOCKED for BLOCKED).
        """
        setting = rules.get(finding.rule)
        if setting is None:
            return None
        if finding.policy in (PolicyKind.CONTENT, PolicyKind.CONTEXTUAL_GROUNDING):
            scores[finding.type] = max(scores.get(finding.type, 0.0), finding.score)
        if setting.action in _ACTING:
            risks[setting.action] = max(risks.get(setting.action, 0.0), finding.risk)
        band = setting.review_band
        in_band = band is not None and band.holds(finding.score)
        if in_band and band is not None:
            finding = replace(finding, details={**finding.details, "review_band": [band.low, band.high]})
        if setting.strength is not None:
            if not meets_strength(finding.confidence, setting.strength):
                if not in_band:
                    return None
                return replace(finding, review=True, action=review_action)
            finding = replace(finding, details={**finding.details, "strength": setting.strength.value})
        if setting.threshold is not None:
            if finding.score >= setting.threshold:
                return None
            finding = replace(finding, details={**finding.details, "threshold": setting.threshold})
        if setting.action == "REVIEW":
            return replace(finding, review=True, action=review_action)
        return replace(finding, review=in_band, action=_ACTIONS[setting.action])

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
        risks: dict[str, float],
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
        review = [f for f in findings if f.review]
        if review:
            reason += ("; " if reason else "") + "sent to review: " + _describe(review)
        trace.append(TraceStep("decision", f"{action.value}: {reason}" if reason else action.value))
        # A finding acted on counts even if it reached the list without passing _judge.
        for f in [*blocking, *masking]:
            key = "BLOCK" if f.action is FindingAction.BLOCKED else "ANONYMIZE"
            risks[key] = max(risks.get(key, 0.0), f.risk)
        return Assessment(
            action=action,
            source=source,
            text_length=len(text),
            output_text=output,
            findings=tuple(sorted(findings, key=_span)),
            trace=tuple(trace),
            latency_ms=(time.perf_counter() - started) * 1000,
            policy_name=self.policy.name,
            policies_run=tuple(sorted(ran)),
            action_reason=reason,
            scores=scores,
            risk_score=max(risks.values(), default=0.0),
            block_risk_score=risks.get("BLOCK", 0.0),
            vault=used_vault,
        )


def _span(finding: Finding) -> tuple[int, int]:
    return finding.start, finding.end


def _describe(findings: Sequence[Finding]) -> str:
    """A short human summary: ``contentPolicy HATE (HIGH), sensitiveInformationPolicy EMAIL x2``."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[(f.policy.value, f.type)] = counts.get((f.policy.value, f.type), 0) + 1
    return ", ".join(f"{p} {t}" + (f" x{n}" if n > 1 else "") for (p, t), n in counts.items())


_LETTER = re.compile(r"[^\W\d_]")


def _reading(detector: Detector, identified: TextLanguages) -> tuple[str, list[LanguagePiece]]:
    """The text as ``detector`` can read it (other languages blanked) and the pieces it cannot read."""
    if detector.languages is None:
        return identified.text, []
    return identified.readable(detector.languages), identified.outside(detector.languages)


def _unread_note(detector: Detector, unread: Sequence[LanguagePiece]) -> str:
    """``not read: 2 piece(s) in zh, fr (140 chars); it reads en``, for the trace."""
    names = sorted({p.guess.language for p in unread if p.guess is not None})
    chars = sum(p.end - p.start for p in unread)
    reads = ", ".join(sorted(detector.languages or ()))
    return f"not read: {len(unread)} piece(s) in {', '.join(names)} ({chars} chars); it reads {reads}"


def _restore(finding: Finding, text: str, unread: Sequence[LanguagePiece]) -> Finding:
    """A finding made on the blanked copy, made to point at the text the user sent.

    Its span loses any end that lies in a piece the detector did not read (the detector saw
    only spaces there) and its match is taken from the original text.
    """
    start, end = finding.start, finding.end
    for piece in unread:
        if piece.start <= start < piece.end:
            start = piece.end
    for piece in reversed(unread):
        if piece.start < end <= piece.end:
            end = piece.start
    if start >= end:
        start, end = finding.start, finding.end
    return replace(finding, start=start, end=end, match=text[start:end])
