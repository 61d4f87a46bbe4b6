"""The one small interface every detector implements.

A detector kind is one class in one module (the Presidio habit): it builds itself from
the part of a policy it cares about (:meth:`Detector.from_policy`, returning ``None``
when the policy does not use it) and returns :class:`~steward.assessment.Finding`
objects for a text. The guard decides what each finding means for the request
(block, mask, report); detectors only say what is there, where, and how sure they are.

``cost`` orders the cascade: the guard runs cheap deterministic detectors first and
may skip expensive learned ones once the text is already blocked. ``languages`` says which
languages a detector can read: the guard hands a learned, English-only detector only the
English parts of a text (see :mod:`steward.detectors.language`), so it never judges text it
cannot read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from steward.assessment import Finding, PolicyKind, Source
from steward.policy.schema import Policy
from steward.rules import RuleSetting

if TYPE_CHECKING:
    from steward.detectors.language import TextLanguages
    from steward.models.classifier import SharedEncodings

__all__ = ["DetectionRequest", "Detector"]


@dataclass(frozen=True, slots=True)
class DetectionRequest:
    """What a detector may know about the text besides the text itself."""

    source: Source
    #: Reference text a response should be grounded in (contextual grounding).
    grounding_source: str | None = None
    #: The user's question a response should answer (relevance).
    query: str | None = None
    #: The caller tagged the text as untrusted third-party content (documents, web pages,
    #: tool output): prompt-attack detection looks for indirect injection in it.
    untrusted: bool = False
    #: The policy's rules enabled for this direction (see :mod:`steward.rules`); a detector
    #: may skip work for rules that are absent.
    rules: Mapping[str, RuleSetting] = field(default_factory=dict)
    #: The language of each piece of the checked text, identified once per request by the
    #: guard and shared by every detector (the language check reports from it); ``None``
    #: outside the guard, where a detector that needs it identifies the text itself.
    text_languages: TextLanguages | None = None
    #: Encoder passes over the text, kept for this request only (by model, text and trust), so
    #: the content filters and the denied-topics screen read a text once. Each request (the
    #: guard makes one per call) starts empty; nothing is kept across calls.
    encodings: SharedEncodings = field(default_factory=dict)


class Detector(ABC):
    """Finds one kind of thing in text, configured from a policy."""

    #: Short, stable name used in findings and traces (``pii``, ``words``, ``regex``).
    name: ClassVar[str]
    #: The policy section its findings belong to.
    policy_kind: ClassVar[PolicyKind]
    #: Relative cost; the guard runs detectors in ascending cost.
    cost: ClassVar[int] = 0
    #: ISO 639 codes of the languages the detector can read, or ``None`` when it does not
    #: depend on language (patterns, checksums, word lists). The guard gives a detector with
    #: a set only the pieces of a text in those languages (the others are blanked, offsets
    #: kept) and skips it when none remain; the language check reports what it did not read.
    languages: ClassVar[frozenset[str] | None] = None

    @classmethod
    @abstractmethod
    def from_policy(cls, policy: Policy) -> Detector | None:
        """Build the detector for ``policy``, or ``None`` if the policy does not use it."""

    @abstractmethod
    def rules(self) -> frozenset[str]:
        """Keys of every rule this detector can report (see :func:`steward.rules.rule_key`)."""

    @abstractmethod
    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        """Everything found in ``text``; offsets index into ``text``."""

    def detect_batch(self, texts: Sequence[str], request: DetectionRequest) -> list[list[Finding]]:
        """Findings for many texts; learned detectors override this to batch model calls."""
        return [self.detect(text, request) for text in texts]
