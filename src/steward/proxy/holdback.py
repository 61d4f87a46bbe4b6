"""Guarding a streamed answer: hold back a bounded window, release only what the guard passed.

A token cannot be recalled once sent, and a sensitive span (an e-mail address, a card
number) may arrive split over many chunks. :class:`StreamGuard` therefore keeps the newest
``holdback`` characters to itself and releases text only once it lies more than the window
behind the newest character, and only after the guard has checked it *together with* the
window that follows it and up to one window of already-released text before it (so a
detector sees the context on both sides). Masked spans are replaced before release; a span
that straddles the release point is never cut: the point moves back to the span's start,
so no prefix of a detected span leaves the server. A blocking finding stops the stream.

Guarantees and limits (also in ``docs/proxy.md``):

* a span the guard detects, of at most ``holdback`` characters, never leaves unmasked;
* the text held is at most ``holdback`` characters, plus ``check_every - 1`` when checks
  are batched, plus the length of one detected span that straddles the release point
  (itself at most ``holdback``; a longer one is released masked as found so far);
* a span longer than the window, or one a detector only recognises with more than one
  window of context, may be released before it is recognised;
* the guard judges windows, not the whole answer: grounding and relevance checks, which
  need the whole answer, do not run on streams.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from steward.anonymize import PseudonymOperator, PseudonymVault, TagOperator, resolve_overlaps
from steward.anonymize.base import Operator
from steward.assessment import Action, Assessment, Finding, FindingAction, PolicyKind, Source, TraceStep
from steward.guard import Guard
from steward.policy import limits

__all__ = ["Release", "StreamGuard"]


@dataclass(frozen=True, slots=True)
class Release:
    """What a step of the stream guard lets out: safe text, or the assessment that blocked."""

    text: str = ""
    blocked: Assessment | None = None


def _shift(finding: Finding, offset: int) -> Finding:
    return replace(finding, start=finding.start + offset, end=finding.end + offset)


class StreamGuard:
    """The hold-back buffer of one streamed answer (one choice).

    Feed it each delta with :meth:`feed`; call :meth:`finish` at the end of the stream to
    check and release the rest. After a block, every call releases nothing.
    """

    def __init__(
        self, guard: Guard, *, holdback: int, check_every: int = 1, vault: PseudonymVault | None = None
    ) -> None:
        self.guard = guard
        self.holdback = holdback
        self.check_every = max(1, check_every)
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
        if self.blocked is not None:
            return False
        return self.total + more - self.holdback - self._released >= self.check_every

    def feed(self, delta: str) -> Release:
        """Take the next piece of the answer; return whatever may now be released."""
        if self.blocked is not None:
            return Release()
        self._buf += delta
        boundary = self.total - self.holdback
        if boundary - self._released < self.check_every:
            return Release()
        return self._check(boundary, final=False)

    def finish(self) -> Release:
        """The stream ended: check and release everything still held."""
        if self.blocked is not None or self.held == 0:
            return Release()
        return self._check(self.total, final=True)

    def _check(self, boundary: int, *, final: bool) -> Release:
        context_start = max(self._base, self._released - self.holdback)
        text = self._buf[context_start - self._base :]
        # No vault here: the guard's own masking would number partial spans of the lookahead
        # (``b@example.co`` before ``b@example.com``); pseudonyms are issued on release only.
        assessment = self.guard.apply(text, Source.OUTPUT)
        self.checks += 1
        self._guard_ms += assessment.latency_ms
        self._policies.update(assessment.policies_run)
        if assessment.blocked:
            self.blocked = assessment
            return Release(blocked=assessment)
        shifted = [_shift(f, context_start) for f in assessment.findings]
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
        detail = f"{self.checks} window check(s), hold-back {self.holdback} characters"
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
