"""Recognizers that are data: one :class:`PatternRow` per entity, run by one :class:`PatternRecognizer`.

Most identifiers are found the same way (Presidio's ``PatternRecognizer`` habit): a regex
finds candidates, a validator (usually a ``python-stdnum`` checksum) confirms them, words
nearby raise or gate the score. A row says only what differs — the pattern, the
validator, the context words and the score of each case — plus a ``description`` that
keeps the domain knowledge (issuing rules, ranges) next to the data it explains.

The RE2 trigger of a row is not written by hand: when every score needs the context
words, it is built from those same words and the value's rough ``shape``
(:func:`~steward.detectors.pii.context.trigger_near`), so the prefilter and the
recognizer cannot drift apart; otherwise the shape alone is the trigger. Recognizers
with real logic (phone parsing, addresses, names, e-mail scanning, passwords) stay classes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from steward.detectors.pii.context import AFTER_WINDOW, BEFORE_WINDOW, near, trigger_near
from steward.detectors.pii.recognizer import PY_SPACE, Recognizer, Span
from steward.policy.schema import PiiType

__all__ = ["Context", "PatternRecognizer", "PatternRow", "Tier", "recognizer_for", "to_re2"]


def to_re2(words: str) -> str:
    r"""A Python context-word pattern in RE2 syntax, at least as permissive: ``\s`` becomes Unicode space.

    Context words are plain alternations of words, so ``\s`` (outside classes) is the only
    construct whose meaning differs between the two engines in the looser-is-wrong direction.
    """
    return re.sub(r"(?<!\\)\\s", lambda _: PY_SPACE, words)


@dataclass(frozen=True, slots=True)
class Context:
    """Words that make a value what it claims to be, and how far from it they may stand.

    ``words`` is a Python regex (matched case-insensitively), an alternation of words;
    the windows are in characters before the value's start and after its end.
    """

    words: str
    before: int = BEFORE_WINDOW
    after: int = AFTER_WINDOW
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.words, re.IGNORECASE))

    def around(self, text: str, start: int, end: int) -> bool:
        """Whether the words occur within the windows around ``text[start:end]``."""
        return near(text, start, end, self.compiled, window_before=self.before, window_after=self.after)


@dataclass(frozen=True, slots=True)
class Tier:
    """One case of a row's scoring: the score a candidate gets when every condition holds.

    ``checked``: the row's validator accepts the value (the span is then reported as
    validated); ``context``: those words stand near it; ``when``: a further test of the
    match (the grouped form, a known issuer prefix). Tiers are tried in order; the first
    that holds decides, and a candidate no tier accepts is not reported.
    """

    score: float
    checked: bool = False
    context: Context | None = None
    when: Callable[[re.Match[str]], bool] | None = None


@dataclass(frozen=True, slots=True)
class PatternRow:
    """One entity type found by pattern → validator → context words → score."""

    entity: PiiType
    #: Short, stable name reported in ``Finding.details["recognizer"]``.
    name: str
    #: What the identifier is and the domain rules the row encodes (issuers, ranges, checksums).
    description: str
    #: Python regex of a candidate; ``group`` is the part reported (0: the whole match).
    pattern: str
    #: RE2 pattern of the value's rough shape, never stricter than ``pattern``.
    shape: str
    tiers: tuple[Tier, ...]
    group: int = 0
    #: Checksum or issuing rules, on the candidate's text; tiers with ``checked`` need it.
    validator: Callable[[str], bool] | None = None
    #: Drops candidates no tier should see (a year where a plate was expected, a git hash).
    keep: Callable[[str], bool] | None = None
    #: Words the value directly follows (``PIN: 1234``), written once: ``{lead}`` in
    #: ``pattern`` and ``shape`` stands for them, so the trigger reads the pattern's own words.
    lead: str | None = None
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError(f"pattern row {self.name!r} has no tiers")
        if any(t.checked for t in self.tiers) and self.validator is None:
            raise ValueError(f"pattern row {self.name!r} has checked tiers but no validator")
        if self.lead is None and "{lead}" in self.pattern + self.shape:
            raise ValueError(f"pattern row {self.name!r} uses {{lead}} but has no lead words")
        if self.lead is not None and not ("{lead}" in self.pattern and "{lead}" in self.shape):
            raise ValueError(f"pattern row {self.name!r} must use its lead words in both pattern and shape")
        pattern = self.pattern if self.lead is None else self.pattern.replace("{lead}", self.lead)
        object.__setattr__(self, "compiled", re.compile(pattern))

    @property
    def gate(self) -> Context | None:
        """The context every tier needs, if they all need the same one; the trigger then includes it."""
        contexts = {t.context for t in self.tiers}
        if len(contexts) == 1:
            (only,) = contexts
            return only
        return None

    @property
    def trigger(self) -> str:
        """The RE2 trigger: the context words near the shape when every tier needs them, else the shape."""
        # A shape writes ``\s`` where its pattern takes any blank (tab, no-break space).
        shape = to_re2(self.shape if self.lead is None else self.shape.replace("{lead}", self.lead))
        gate = self.gate
        if gate is None:
            return shape
        return trigger_near(to_re2(gate.words), shape, before=gate.before, after=gate.after)

    @property
    def trigger_gate(self) -> str | None:
        """The context words alone when the trigger needs them (with the trigger's flags): every
        match of the trigger holds a match of them, so a text without them cannot trigger."""
        gate = self.gate
        if gate is None:
            return None
        return rf"(?is)(?:{to_re2(gate.words)})"

    def find(self, text: str) -> Iterator[Span]:
        """Every candidate of ``text`` that some tier accepts, scored by the first such tier."""
        for m in self.compiled.finditer(text):
            start, end = m.span(self.group)
            value = m.group(self.group)
            if self.keep is not None and not self.keep(value):
                continue
            valid: bool | None = None
            found: dict[int, bool] = {}  # by id(): the contexts are compared by identity, not value
            for tier in self.tiers:
                if tier.checked:
                    if valid is None:
                        valid = self.validator(value) if self.validator is not None else False
                    if not valid:
                        continue
                if tier.context is not None:
                    key = id(tier.context)
                    near_words = found.get(key)
                    if near_words is None:
                        near_words = found[key] = tier.context.around(text, start, end)
                    if not near_words:
                        continue
                if tier.when is not None and not tier.when(m):
                    continue
                yield Span(start, end, tier.score, validated=tier.checked)
                break


class PatternRecognizer(Recognizer):
    """Runs one :class:`PatternRow`; :func:`recognizer_for` makes the subclass of each row."""

    row: PatternRow

    def find(self, text: str) -> Iterator[Span]:
        return self.row.find(text)


@functools.cache
def recognizer_for(row: PatternRow) -> type[Recognizer]:
    """The recognizer class of ``row``, so rows sit in the registry beside hand-written classes."""
    camel = "".join(part.capitalize() for part in row.name.split("_"))
    return type(
        f"{camel}Recognizer",
        (PatternRecognizer,),
        {
            "row": row,
            "entity": row.entity,
            "name": row.name,
            "trigger": row.trigger,
            # a window after context words is in progress wherever such a word stood
            "trigger_group": "context" if row.gate is not None else "",
            "trigger_gate": row.trigger_gate,
            "__doc__": row.description,
        },
    )
