"""National identity and tax numbers (US, UK, Canada) and driver IDs, as pattern rows.

Where the number carries a checksum or structural rules, ``python-stdnum`` checks them
(SSN area/group/serial rules, ITIN ranges, NHS mod 11, UTR, SIN Luhn, BC PHN). Formats
that many other numbers share (nine or ten plain digits) count only next to the words
that name them. Each row's ``description`` records the issuing rules it encodes.
"""

from __future__ import annotations

import re

from stdnum.ca import bc_phn, sin
from stdnum.gb import nhs, utr
from stdnum.us import itin, ssn

from steward.detectors.pii.pattern import Context, PatternRow, Tier
from steward.policy.schema import PiiType

__all__ = [
    "CA_HEALTH_NUMBER",
    "CA_SIN",
    "DRIVER_ID",
    "UK_NHS",
    "UK_NINO",
    "UK_UTR",
    "US_ITIN",
    "US_PASSPORT",
    "US_SSN",
]

#: Nine digits as ``123-45-6789``, ``123 45 6789`` or ``123456789`` (group 1: the separator).
_NINE_DIGITS = r"(?<![\d-])\d{3}([- ]?)\d{2}\1\d{4}(?![\d]|-\d)"


def _grouped(m: re.Match[str]) -> bool:
    """Whether the number was written with separators (a form plain numbers rarely take)."""
    return bool(m.group(1))


_SSN_WORDS = Context(r"\b(?:ssn|ss#|social\s+security|ssa|tax\s*id|tin|taxpayer)\b")
US_SSN = PatternRow(
    entity=PiiType.US_SOCIAL_SECURITY_NUMBER,
    name="us_ssn",
    description="US Social Security numbers, with the SSA's rules on areas, groups and serials "
    "(stdnum.us.ssn: no area 000, 666 or 900-999, no group 00, no serial 0000). The dashed form "
    "123-45-6789 counts alone; nine plain digits need a word such as SSN.",
    pattern=_NINE_DIGITS,
    shape=r"\d{3}[- ]?\d{2}[- ]?\d{4}",
    validator=ssn.is_valid,
    tiers=(Tier(0.95, checked=True, context=_SSN_WORDS), Tier(0.8, checked=True, when=_grouped)),
)

_ITIN_WORDS = Context(r"\b(?:itin|individual\s+taxpayer|tax\s*id|tin|taxpayer)\b")
US_ITIN = PatternRow(
    entity=PiiType.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER,
    name="us_itin",
    description="US Individual Taxpayer Identification Numbers: 9XX-XX-XXXX with the IRS's groups, the "
    "fourth and fifth digits 70-99 except 89 and 93 (stdnum.us.itin).",
    pattern=_NINE_DIGITS,
    shape=r"9\d{2}[- ]?[5-9]\d[- ]?\d{4}",
    validator=itin.is_valid,
    tiers=(Tier(0.95, checked=True, context=_ITIN_WORDS), Tier(0.8, checked=True, when=_grouped)),
)

US_PASSPORT = PatternRow(
    entity=PiiType.US_PASSPORT_NUMBER,
    name="us_passport",
    description="US passport numbers: nine digits (older books) or a letter and eight digits (next "
    "generation, since 2021); no checksum, so only next to the word passport.",
    pattern=r"(?<![\w-])(?:[A-Z]\d{8}|\d{9})(?![\w-])",
    shape=r"[A-Z]?\d{8,9}",
    tiers=(Tier(0.85, context=Context(r"\bpassport\b")),),
)

UK_NHS = PatternRow(
    entity=PiiType.UK_NATIONAL_HEALTH_SERVICE_NUMBER,
    name="uk_nhs",
    description="NHS numbers (England, Wales, Isle of Man): ten digits with a mod-11 check digit "
    "(stdnum.gb.nhs), next to NHS words. One ten-digit number in eleven passes the check by "
    "chance, and phone numbers share the 3-3-4 shape, so the check alone is not enough.",
    pattern=r"(?<![\d-])\d{3}([- ]?)\d{3}\1\d{4}(?![\d]|-\d)",
    shape=r"\d{3}[- ]?\d{3}[- ]?\d{4}",
    validator=nhs.is_valid,
    tiers=(
        Tier(
            0.95,
            checked=True,
            context=Context(r"\b(?:nhs|national\s+health|health\s+service|patient|chi)\b", before=80),
        ),
    ),
)

#: Prefixes HMRC has never issued (and reserved ones such as administrative numbers).
_NINO_NOT_ISSUED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _nino_issued(value: str) -> bool:
    """Whether the two-letter prefix is one HMRC issues (the pattern already enforces the letter rules)."""
    return value[:2].upper() not in _NINO_NOT_ISSUED


UK_NINO = PatternRow(
    entity=PiiType.UK_NATIONAL_INSURANCE_NUMBER,
    name="uk_nino",
    description="UK National Insurance numbers (QQ 12 34 56 C) with HMRC's prefix rules: the first "
    "letter is never D, F, I, Q, U or V, the second never D, F, I, O, Q, U or V, the prefixes "
    "BG, GB, KN, NK, NT, TN and ZZ are not issued, and the suffix is A-D. Next to NI words, or "
    "alone when written in capitals.",
    pattern=r"(?i)\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    shape=r"(?i)[a-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d]",
    validator=_nino_issued,
    tiers=(
        Tier(
            0.95,
            checked=True,
            context=Context(r"\b(?:national\s+insurance|ni\s+(?:number|no)|nino|nic)\b"),
        ),
        Tier(0.8, checked=True, when=lambda m: m.group().isupper()),
    ),
)


def _utr_valid(value: str) -> bool:
    """The UTR check digit (stdnum.gb.utr) of ``12345 67890`` or ``1234567890K``."""
    return bool(utr.is_valid(value.rstrip("K").replace(" ", "")))


UK_UTR = PatternRow(
    entity=PiiType.UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER,
    name="uk_utr",
    description="UK Unique Taxpayer References: ten digits (HMRC prints them 5 + 5, sometimes with "
    "a trailing K) whose first digit is a check digit over the other nine (stdnum.gb.utr), next to "
    "UTR words.",
    pattern=r"(?<![\d-])(?:\d{5} ?\d{5}|\d{10})K?(?![\d])",
    shape=r"\d{5} ?\d{5}",
    validator=_utr_valid,
    tiers=(
        Tier(
            0.95,
            checked=True,
            context=Context(
                r"\b(?:utr|unique\s+tax(?:payer)?\s+reference|tax\s+reference|self[- ]assessment|hmrc)\b",
                before=80,
            ),
        ),
    ),
)

CA_SIN = PatternRow(
    entity=PiiType.CA_SOCIAL_INSURANCE_NUMBER,
    name="ca_sin",
    description="Canadian Social Insurance Numbers: nine digits, Luhn-checked by stdnum.ca.sin "
    "(first digit by province of registration; 0 and 8 never issued). 123 456 782 in groups of "
    "three counts alone; nine plain digits need a word such as SIN.",
    pattern=r"(?<![\d-])\d{3}([- ]?)\d{3}\1\d{3}(?![\d]|-\d)",
    shape=r"\d{3}[- ]?\d{3}[- ]?\d{3}",
    validator=sin.is_valid,
    tiers=(
        Tier(
            0.95,
            checked=True,
            context=Context(r"\b(?:sin|social\s+insurance|nas|num[ée]ro\s+d'assurance\s+sociale)\b"),
        ),
        Tier(0.6, checked=True, when=_grouped),
    ),
)

_HEALTH_WORDS = Context(
    r"\b(?:health\s+(?:card|number|insurance|plan)|ohip|ramq|msp|phn|personal\s+health|"
    r"carte\s+soleil|assurance\s+maladie|medicare|health\s+#)\b",
    before=80,
)
CA_HEALTH_NUMBER = PatternRow(
    entity=PiiType.CA_HEALTH_NUMBER,
    name="ca_health_number",
    description="Canadian provincial health numbers next to health-card words. Formats: Ontario "
    "(10 digits and an optional two-letter version code), Quebec RAMQ (four letters and eight "
    "digits), British Columbia PHN (10 digits starting with 9, checked by stdnum.ca.bc_phn), and "
    "the 9-digit numbers of other provinces.",
    pattern=r"(?<![\w-])(?:\d{4}[- ]?\d{3}[- ]?\d{3}(?:[- ]?[A-Z]{2})?|[A-Z]{4}[- ]?\d{4}[- ]?\d{4}|\d{9})(?![\w-])",
    shape=r"\d{9}|\d{4}[- ]?\d{3}|[A-Z]{4}[- ]?\d{4}",
    validator=bc_phn.is_valid,
    tiers=(Tier(0.95, checked=True, context=_HEALTH_WORDS), Tier(0.85, context=_HEALTH_WORDS)),
)


def _driver_id_shaped(value: str) -> bool:
    """At least four digits and at most two spaces: a licence number, not a phrase."""
    return sum(c.isdigit() for c in value) >= 4 and value.count(" ") <= 2


DRIVER_ID = PatternRow(
    entity=PiiType.DRIVER_ID,
    name="driver_id",
    description="Driver's licence numbers: every US state and every country has its own format "
    "(5-20 letters and digits, at least four digits), so only right after licence words.",
    pattern=r"(?<![\w-])[A-Z0-9](?:[A-Z0-9]|[- ](?=[A-Z0-9])){4,19}(?![\w-])",
    shape=r"[A-Z0-9][A-Z0-9 -]{3,}",
    keep=_driver_id_shaped,
    tiers=(
        Tier(
            0.85,
            context=Context(
                r"\b(?:driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|driver\s+(?:id|number)|"
                r"licen[cs]e\s+(?:number|no|#)|dl\s*(?:number|no|#)?|dln)\b",
                before=40,
                after=0,
            ),
        ),
    ),
)
