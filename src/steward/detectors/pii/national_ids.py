"""National identity and tax numbers (US, UK, Canada) and driver IDs.

Where the number carries a checksum or structural rules, ``python-stdnum`` checks them
(SSN area/group/serial rules, ITIN ranges, NHS mod 11, UTR, SIN Luhn, BC PHN). Formats
that many other numbers share (nine or ten plain digits) count only next to the words
that name them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum.ca import bc_phn, sin
from stdnum.gb import nhs, utr
from stdnum.us import itin, ssn

from steward.detectors.pii.context import near, trigger_near
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = [
    "CaHealthNumberRecognizer",
    "CaSinRecognizer",
    "DriverIdRecognizer",
    "UkNhsRecognizer",
    "UkNinoRecognizer",
    "UkUtrRecognizer",
    "UsItinRecognizer",
    "UsPassportRecognizer",
    "UsSsnRecognizer",
]

_NINE_DIGITS = re.compile(r"(?<![\d-])\d{3}([- ]?)\d{2}\1\d{4}(?![\d]|-\d)")
_SSN_WORDS = re.compile(r"(?i)\b(?:ssn|ss#|social\s+security|ssa|tax\s*id|tin|taxpayer)\b")
_ITIN_WORDS = re.compile(r"(?i)\b(?:itin|individual\s+taxpayer|tax\s*id|tin|taxpayer)\b")


class UsSsnRecognizer(Recognizer):
    """US Social Security numbers, with the SSA's rules on areas, groups and serials (``stdnum.us.ssn``).

    The dashed form ``123-45-6789`` counts alone; nine plain digits need a word such as SSN.
    """

    entity = PiiType.US_SOCIAL_SECURITY_NUMBER
    name = "us_ssn"
    trigger = r"\d{3}[- ]?\d{2}[- ]?\d{4}"

    def find(self, text: str) -> Iterator[Span]:
        for m in _NINE_DIGITS.finditer(text):
            if not ssn.is_valid(m.group()):
                continue
            context = near(text, m.start(), m.end(), _SSN_WORDS)
            if context:
                yield Span(m.start(), m.end(), 0.95, validated=True)
            elif m.group(1):
                yield Span(m.start(), m.end(), 0.8, validated=True)


class UsItinRecognizer(Recognizer):
    """US Individual Taxpayer Identification Numbers: ``9XX-7X-XXXX`` ranges per ``stdnum.us.itin``."""

    entity = PiiType.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER
    name = "us_itin"
    trigger = r"9\d{2}[- ]?[5-9]\d[- ]?\d{4}"

    def find(self, text: str) -> Iterator[Span]:
        for m in _NINE_DIGITS.finditer(text):
            if not itin.is_valid(m.group()):
                continue
            if near(text, m.start(), m.end(), _ITIN_WORDS):
                yield Span(m.start(), m.end(), 0.95, validated=True)
            elif m.group(1):
                yield Span(m.start(), m.end(), 0.8, validated=True)


_PASSPORT_WORDS = re.compile(r"(?i)\bpassport\b")


class UsPassportRecognizer(Recognizer):
    """US passport numbers (nine digits, or a letter and eight digits), next to the word passport."""

    entity = PiiType.US_PASSPORT_NUMBER
    name = "us_passport"
    trigger = trigger_near(r"passport", r"[A-Z]?\d{8,9}")
    _pattern = re.compile(r"(?<![\w-])(?:[A-Z]\d{8}|\d{9})(?![\w-])")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if near(text, m.start(), m.end(), _PASSPORT_WORDS):
                yield Span(m.start(), m.end(), 0.85)


_NHS_WORDS = re.compile(r"(?i)\b(?:nhs|national\s+health|health\s+service|patient|chi)\b")


class UkNhsRecognizer(Recognizer):
    """NHS numbers: ten digits with a mod-11 check (``stdnum.gb.nhs``), next to NHS words.

    One ten-digit number in eleven passes the check by chance, and phone numbers share
    the 3-3-4 shape, so the check alone is not enough.
    """

    entity = PiiType.UK_NATIONAL_HEALTH_SERVICE_NUMBER
    name = "uk_nhs"
    trigger = trigger_near(
        r"\b(?:nhs|national\s+health|health\s+service|patient|chi)\b", r"\d{3}[- ]?\d{3}[- ]?\d{4}", before=80
    )
    _pattern = re.compile(r"(?<![\d-])\d{3}([- ]?)\d{3}\1\d{4}(?![\d]|-\d)")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if nhs.is_valid(m.group()) and near(text, m.start(), m.end(), _NHS_WORDS, window_before=80):
                yield Span(m.start(), m.end(), 0.95, validated=True)


_NINO_WORDS = re.compile(r"(?i)\b(?:national\s+insurance|ni\s+(?:number|no)|nino|nic)\b")


class UkNinoRecognizer(Recognizer):
    """UK National Insurance numbers (``QQ 12 34 56 C``) with HMRC's prefix rules.

    The first letter is never D, F, I, Q, U or V, the second never D, F, I, O, Q, U or V,
    and the prefixes BG, GB, KN, NK, NT, TN and ZZ are not issued.
    """

    entity = PiiType.UK_NATIONAL_INSURANCE_NUMBER
    name = "uk_nino"
    trigger = r"(?i)[a-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[a-d]"
    _pattern = re.compile(r"(?i)\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")
    _not_issued = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if m.group(1).upper() in self._not_issued:
                continue
            context = near(text, m.start(), m.end(), _NINO_WORDS)
            if context:
                yield Span(m.start(), m.end(), 0.95, validated=True)
            elif m.group().isupper():
                yield Span(m.start(), m.end(), 0.8, validated=True)


_UTR_WORDS = re.compile(
    r"(?i)\b(?:utr|unique\s+tax(?:payer)?\s+reference|tax\s+reference|self[- ]assessment|hmrc)\b"
)


class UkUtrRecognizer(Recognizer):
    """UK Unique Taxpayer References: ten digits with a check digit (``stdnum.gb.utr``), next to UTR words."""

    entity = PiiType.UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER
    name = "uk_utr"
    trigger = trigger_near(
        r"\b(?:utr|unique\s+tax|tax\s+reference|self.assessment|hmrc)", r"\d{5} ?\d{5}", before=80
    )
    _pattern = re.compile(r"(?<![\d-])(?:\d{5} ?\d{5}|\d{10})K?(?![\d])")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if utr.is_valid(m.group().rstrip("K").replace(" ", "")) and near(
                text, m.start(), m.end(), _UTR_WORDS, window_before=80
            ):
                yield Span(m.start(), m.end(), 0.95, validated=True)


_SIN_WORDS = re.compile(r"(?i)\b(?:sin|social\s+insurance|nas|num[ée]ro\s+d'assurance\s+sociale)\b")


class CaSinRecognizer(Recognizer):
    """Canadian Social Insurance Numbers: nine digits, Luhn-checked by ``stdnum.ca.sin``.

    ``123 456 782`` in groups of three counts alone; nine plain digits need a word such as SIN.
    """

    entity = PiiType.CA_SOCIAL_INSURANCE_NUMBER
    name = "ca_sin"
    trigger = r"\d{3}[- ]?\d{3}[- ]?\d{3}"
    _pattern = re.compile(r"(?<![\d-])\d{3}([- ]?)\d{3}\1\d{3}(?![\d]|-\d)")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if not sin.is_valid(m.group()):
                continue
            if near(text, m.start(), m.end(), _SIN_WORDS):
                yield Span(m.start(), m.end(), 0.95, validated=True)
            elif m.group(1):
                yield Span(m.start(), m.end(), 0.6, validated=True)


_HEALTH_WORDS = re.compile(
    r"(?i)\b(?:health\s+(?:card|number|insurance|plan)|ohip|ramq|msp|phn|personal\s+health|"
    r"carte\s+soleil|assurance\s+maladie|medicare|health\s+#)\b"
)


class CaHealthNumberRecognizer(Recognizer):
    """Canadian provincial health numbers next to health-card words.

    Formats: Ontario (10 digits and an optional two-letter version code), Quebec RAMQ
    (four letters and eight digits), British Columbia PHN (10 digits, checked by
    ``stdnum.ca.bc_phn``), and the 9-digit numbers of other provinces.
    """

    entity = PiiType.CA_HEALTH_NUMBER
    name = "ca_health_number"
    trigger = trigger_near(
        r"health|ohip|ramq|msp|phn|soleil|maladie|medicare",
        r"\d{9}|\d{4}[- ]?\d{3}|[A-Z]{4}[- ]?\d{4}",
        before=80,
    )
    _pattern = re.compile(
        r"(?<![\w-])(?:\d{4}[- ]?\d{3}[- ]?\d{3}(?:[- ]?[A-Z]{2})?|[A-Z]{4}[- ]?\d{4}[- ]?\d{4}|\d{9})(?![\w-])"
    )

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if not near(text, m.start(), m.end(), _HEALTH_WORDS, window_before=80):
                continue
            checked = bc_phn.is_valid(m.group())
            yield Span(m.start(), m.end(), 0.95 if checked else 0.85, validated=checked)


_DRIVER_WORDS = re.compile(
    r"(?i)\b(?:driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|driver\s+(?:id|number)|licen[cs]e\s+(?:number|no|#)|"
    r"dl\s*(?:number|no|#)?|dln)\b"
)
_DRIVER_VALUE = re.compile(r"(?<![\w-])[A-Z0-9](?:[A-Z0-9]|[- ](?=[A-Z0-9])){4,19}(?![\w-])")


class DriverIdRecognizer(Recognizer):
    """Driver's licence numbers (every state and country has its own format) right after licence words."""

    entity = PiiType.DRIVER_ID
    name = "driver_id"
    trigger = trigger_near(r"licen[cs]e|\bdl\b|dln|driver", r"[A-Z0-9][A-Z0-9 -]{3,}", before=40, after=0)

    def find(self, text: str) -> Iterator[Span]:
        for m in _DRIVER_VALUE.finditer(text):
            value = m.group()
            if sum(c.isdigit() for c in value) < 4 or value.count(" ") > 2:
                continue
            if near(text, m.start(), m.end(), _DRIVER_WORDS, window_before=40, window_after=0):
                yield Span(m.start(), m.end(), 0.85)
