"""Guarding a streamed answer: hold back a bounded window, release only what the guard passed.

A token cannot be recalled once sent, and a sensitive span (an e-mail address, a card
number) may arrive split over many chunks. :class:`StreamGuard` therefore keeps the newest
``holdback`` characters to itself and releases text only once it lies more than the window
behind the newest character, and only after the guard has checked it *together with* the
window that follows it and up to one window of already-released text before it (so a
detector sees the context on both sides). Masked spans are replaced before release; a span
that straddles the release point is never cut: the point moves back to the span's start,
so no prefix of a detected span leaves the server. A block stops the stream.

Windows are not the whole answer, and a learned detector can judge a window differently
from the text it belongs to (a denied topic seen in a window that groups sentences the whole
text does not group). So a window decides a block only where the whole answer is bound to
decide the same, and the whole answer has the last word:

* a pattern finding (word list, regex, PII) that blocks inside a window, away from its cut
  edges, blocks at once: the whole answer contains the same match;
* any other blocking finding (content filters, prompt attack, denied topics, languages)
  *suspends* the stream: nothing more is released, no more windows are checked, and the end
  of the stream decides. A denied-topic finding on a piece the whole answer does not have
  (several sentences taken together, or a sentence cut by the window) is not even that: a
  window never invents a piece (:func:`steward.models.sentences.embedding_pieces` takes a
  short text whole, and a window is a short text);
* at the end, the **whole answer** is checked as a non-streamed answer is, with the
  ``query`` and ``grounding_source`` (relevance and grounding run), and that check decides
  the block and masks what is still held.

Guarantees and limits (also in ``docs/proxy.md``):

* for an answer of at most :data:`~steward.policy.limits.TEXT_MAX_CHARS` characters, the
  decision (blocked, masked, passed) is the one the guard gives the whole answer at once,
  save masks: a span the guard detects, of at most ``holdback`` characters, never leaves
  unmasked, but a longer one, or one a detector only recognises with more than one window
  of context, may leave before it is recognised (the stream then says passed where the
  whole answer is masked);
* the exact bound where equality is impossible: text released before the whole-answer
  check blocks stays with the user. Release runs ``holdback`` (W) characters behind the
  newest one, so of an N-character answer at most ``max(0, N - W)`` characters have left
  when the end-of-stream check blocks (none if the answer fits in the window), and none
  after a suspension;
* the text held is at most ``holdback`` characters, plus ``check_every - 1`` when checks
  are batched, plus the length of one detected span that straddles the release point
  (itself at most ``holdback``; a longer one is released masked as found so far); a
  suspended stream holds everything after the suspension, up to ``TEXT_MAX_CHARS``
  characters of answer (then it blocks: the whole answer can no longer be checked);
* an answer longer than ``TEXT_MAX_CHARS`` (which a non-streamed answer may not be) gets
  no whole-answer check: its end is judged as a window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from steward.anonymize import PseudonymOperator, PseudonymVault, TagOperator, resolve_overlaps
from steward.anonymize.base import Operator
from steward.assessment import Action, Assessment, Finding, FindingAction, PolicyKind, Source, TraceStep
from steward.guard import Guard
from steward.models.sentences import sentence_spans
from steward.policy import limits

__all__ = ["Release", "StreamGuard"]


@dataclass(frozen=True, slots=True)
class Release:
    """What a step of the stream guard lets out: safe text, or the assessment that blocked."""

    text: str = ""
    blocked: Assessment | None = None


#: Findings found by matching patterns: a match inside a window is a match in the whole answer.
_PATTERN_POLICIES = frozenset({PolicyKind.WORD, PolicyKind.SENSITIVE_INFORMATION})


def _shift(finding: Finding, offset: int) -> Finding:
    return replace(finding, start=finding.start + offset, end=finding.end + offset)


def _whole_text_sentences(window: str, *, cut_start: bool) -> frozenset[tuple[int, int]]:
    """The pieces of a mid-stream window that are pieces of the whole answer too.

    Its sentences, less the first when the window starts inside the answer (it may be cut)
    and the last (the answer goes on: it may be incomplete). A sentence span is local (its
    boundaries are punctuation and line breaks), so a complete one is cut the same way in
    the whole answer.
    """
    spans = sentence_spans(window)
    return frozenset(spans[1 if cut_start else 0 : -1])


class StreamGuard:
    """The hold-back buffer of one streamed answer (one choice).

    Feed it each delta with :meth:`feed`; call :meth:`finish` at the end of the stream to
    check and release the rest. After a block, every call releases nothing.
    """

    def __init__(
        self,
        guard: Guard,
        *,
        holdback: int,
        check_every: int = 1,
        vault: PseudonymVault | None = None,
        query: str | None = None,
        grounding_source: str | None = None,
    ) -> None:
        """``query`` and ``grounding_source`` go to the whole-answer check at the end, as they would
        to the check of a non-streamed answer (windows are checked without them)."""
        self.guard = guard
        self.holdback = holdback
        self.check_every = max(1, check_every)
        self.query = query
        self.grounding_source = grounding_source
        sens = guard.policy.sensitive_information
        self._pseudonyms = sens is not None and sens.anonymization.style == "pseudonym"
        self.vault = vault if vault is not None or not self._pseudonyms else PseudonymVault()
        #: The unreleased text plus up to ``holdback`` characters of released context.
        self._buf = ""
        #: Absolute offset (in the whole answer) of ``_buf[0]``.
        self._base = 0
        #: Absolute offset up to which text has been released.
        self._released = 0
        self.checks = 0
        self.blocked: Assessment | None = None
        #: The window check that suspended the stream: nothing is released until the end,
        #: where the whole answer decides.
        self.suspended: Assessment | None = None
        #: The whole answer so far, for the check at the end; ``None`` once it is too long.
        self._answer: list[str] | None = []
        #: The first ``TEXT_MAX_CHARS`` characters of an answer too long to keep whole.
        self._head = ""
        self._whole_checked = False
        #: The whole answer's ranking scores (risk, block risk) once it was checked whole.
        self._whole_risk: tuple[float, float] = (0.0, 0.0)
        #: Every finding of every check, by absolute span (windows overlap, so each is kept once).
        self._findings: dict[tuple[int, int, str, str], Finding] = {}
        self._policies: set[PolicyKind] = set()
        self._guard_ms = 0.0
        #: What was released, kept (up to the guard's text limit) for the audit trail.
        self._out: list[str] = []
        self._out_chars = 0

    @property
    def total(self) -> int:
        """Characters received so far."""
        return self._base + len(self._buf)

    @property
    def released_any(self) -> bool:
        """Whether any text has left already."""
        return self._released > 0

    @property
    def answer(self) -> str:
        """The answer as the upstream sent it (unmasked), for a reviewer: whole, or its first
        ``TEXT_MAX_CHARS`` characters when it grew longer than a guarded text may be."""
        return self._head if self._answer is None else "".join(self._answer)

    @property
    def held(self) -> int:
        """Characters received but not yet released."""
        return self.total - self._released

    def _operator(self) -> Operator:
        if self._pseudonyms:
            assert self.vault is not None
            return PseudonymOperator(self.vault)
        return TagOperator()

    def due(self, more: int) -> bool:
        """Whether feeding ``more`` characters would run the guard (callers use it to pick a thread)."""
        if self.blocked is not None or self.suspended is not None:
            return False
        return self.total + more - self.holdback - self._released >= self.check_every

    def feed(self, delta: str) -> Release:
        """Take the next piece of the answer; return whatever may now be released."""
        if self.blocked is not None:
            return Release()
        self._buf += delta
        if self._answer is not None:
            self._answer.append(delta)
            if self.total > limits.TEXT_MAX_CHARS:
                # Too long to be checked whole, as a non-streamed answer would be: keep its start.
                self._head = "".join(self._answer)[: limits.TEXT_MAX_CHARS]
                self._answer = None
        if self.suspended is not None:
            if self._answer is None:
                # The whole answer can no longer be checked: the suspending window decides.
                return self._block(self.suspended)
            return Release()
        boundary = self.total - self.holdback
        if boundary - self._released < self.check_every:
            return Release()
        return self._check(boundary, final=False)

    def finish(self) -> Release:
        """The stream ended: check the whole answer and release everything still held."""
        if self.blocked is not None or self.total == 0:
            return Release()
        if self._answer is None and self.held == 0:
            return Release()
        return self._check(self.total, final=True)

    def _block(self, assessment: Assessment) -> Release:
        self.blocked = assessment
        return Release(blocked=assessment)

    @staticmethod
    def _window_blocks(assessment: Assessment, text: str, *, cut_start: bool) -> tuple[str, int]:
        """What a mid-stream window's block means: ``("block" | "suspend" | "pass", hold_from)``.

        ``"pass"`` when every blocking finding is an artefact of the window: a pattern match
        at its cut start (text judged by an earlier window), or a denied topic on a piece the
        whole answer does not have. A pattern match that ends at the window's end is not
        final yet either: the next window sees it with what follows, and nothing from its
        start on (``hold_from``, an offset in ``text``) is released meanwhile.
        """
        pieces = _whole_text_sentences(text, cut_start=cut_start)
        verdict, hold_from = "pass", len(text)
        for f in assessment.findings:
            if f.action is not FindingAction.BLOCKED:
                continue
            if f.policy in _PATTERN_POLICIES:
                if cut_start and f.start == 0:
                    continue
                if f.end >= len(text):
                    hold_from = min(hold_from, f.start)
                    continue
                return "block", hold_from
            if f.policy is PolicyKind.TOPIC and (f.start, f.end) not in pieces:
                continue
            verdict = "suspend"
        return verdict, hold_from

    def _check(self, boundary: int, *, final: bool) -> Release:
        whole = final and self._answer is not None
        if whole:
            assert self._answer is not None
            context_start, text = 0, "".join(self._answer)
            self._whole_checked = True
            assessment = self.guard.apply(
                text, Source.OUTPUT, query=self.query, grounding_source=self.grounding_source
            )
            self._whole_risk = (assessment.risk_score, assessment.block_risk_score)
        else:
            context_start = max(self._base, self._released - self.holdback)
            text = self._buf[context_start - self._base :]
            # No vault here: the guard's own masking would number partial spans of the lookahead
            # (``b@example.co`` before ``b@example.com``); pseudonyms are issued on release only.
            # Every detector runs (FULL), so a block that turns out to be a window artefact
            # still leaves the masks of the other findings to apply.
            assessment = self.guard.apply(text, Source.OUTPUT, output_scope="FULL")
        self.checks += 1
        self._guard_ms += assessment.latency_ms
        self._policies.update(assessment.policies_run)
        findings = assessment.findings
        if assessment.blocked:
            if final:
                return self._block(assessment)
            verdict, hold_from = self._window_blocks(assessment, text, cut_start=context_start > 0)
            if verdict == "block":
                return self._block(assessment)
            if verdict == "suspend":
                self.suspended = assessment
                return Release()
            # Artefacts of the window: judged again, whole, by a later window or at the end.
            findings = tuple(f for f in findings if f.action is not FindingAction.BLOCKED)
            boundary = min(boundary, context_start + hold_from)
        shifted = [_shift(f, context_start) for f in findings]
        masked = resolve_overlaps(f for f in shifted if f.action is FindingAction.ANONYMIZED)
        if not final:
            # Findings no longer overlap, so at most one strictly contains the boundary.
            for f in masked:
                if f.start < boundary < f.end:
                    boundary = f.start if f.end - f.start <= self.holdback else f.end
                    break
        start = self._released
        released = self._release(boundary, masked)
        # Record each finding once, when its start is released; a finding that starts in the
        # context before that is a window edge cutting an earlier span, not a new one.
        for f in shifted:
            if start <= f.start < boundary:
                self._findings.setdefault((f.start, f.end, f.type, f.action.value), f)
        if released and self._out_chars < limits.TEXT_MAX_CHARS:
            self._out.append(released)
            self._out_chars += len(released)
        return Release(text=released)

    def summary(self) -> Assessment:
        """One assessment for the whole streamed answer, for the audit trail.

        A block returns the assessment of the window that blocked. Otherwise the findings of
        every window are merged (offsets into the whole answer) and, if anything was masked,
        the released text is the output, as the end user saw it.
        """
        if self.blocked is not None:
            return self.blocked
        findings = tuple(sorted(self._findings.values(), key=lambda f: (f.start, f.end)))
        masked = [f for f in findings if f.action is FindingAction.ANONYMIZED]
        kinds = sorted({f"{f.policy.value} {f.type}" for f in masked})
        reported = sorted({f"{f.policy.value} {f.type}" for f in findings if f.action is FindingAction.NONE})
        if masked:
            reason = "masked " + ", ".join(kinds)
        else:
            reason = ("reported only: " + ", ".join(reported)) if reported else ""
        detail = f"{self.checks} check(s), hold-back {self.holdback} characters"
        if self._whole_checked:
            detail += ", the last on the whole answer"
        if self.suspended is not None:
            detail += f"; a window's {self.suspended.action_reason} suspended release until then"
        return Assessment(
            action=Action.GUARDRAIL_INTERVENED if masked else Action.NONE,
            source=Source.OUTPUT,
            text_length=self.total,
            output_text="".join(self._out)[: limits.TEXT_MAX_CHARS] if masked else None,
            findings=findings,
            trace=(TraceStep("stream", detail, self._guard_ms),),
            latency_ms=self._guard_ms,
            policy_name=self.guard.policy.name,
            policies_run=tuple(sorted(self._policies)),
            action_reason=reason,
            # The ranking scores: the whole answer's when it was checked whole, else the
            # highest acted-on finding's (the windows' candidates below a strength are gone).
            risk_score=max(
                self._whole_risk[0], *(f.risk for f in findings if f.action is not FindingAction.NONE), 0.0
            ),
            block_risk_score=max(
                self._whole_risk[1], *(f.risk for f in findings if f.action is FindingAction.BLOCKED), 0.0
            ),
        )

    def _release(self, boundary: int, masked: list[Finding]) -> str:
        start = self._released
        if boundary <= start:
            return ""
        operator = self._operator()
        pieces: list[str] = []
        pos = start
        for f in masked:
            if f.end <= start or f.start >= boundary:
                continue
            # A span that began in text already released (longer than the window) has its
            # remainder replaced too, so the rest of it does not leak.
            pieces.append(self._text(pos, max(pos, f.start)))
            pieces.append(operator.replacement(f))
            pos = min(f.end, boundary)
        pieces.append(self._text(pos, boundary))
        self._released = boundary
        # Keep one window of released text as context for the next check.
        keep_from = max(self._base, boundary - self.holdback)
        self._buf = self._buf[keep_from - self._base :]
        self._base = keep_from
        return "".join(pieces)

    def _text(self, start: int, end: int) -> str:
        return self._buf[start - self._base : end - self._base]
