"""Vehicle identifiers: VINs and licence plates.

python-stdnum has no VIN module, so the ISO 3779 / North American check digit (position
9) is computed here from the published transliteration table and weights; a VIN is matched on
the upper-cased text, so it stays a class. Plates are a pattern row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from steward.detectors.pii.context import near
from steward.detectors.pii.pattern import Context, PatternRow, Tier
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = ["LICENSE_PLATE", "VinRecognizer", "vin_check_digit_ok"]

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit_ok(vin: str) -> bool:
    """Whether a 17-character VIN's ninth character is its North American check digit."""
    if len(vin) != 17 or any(c not in _VIN_VALUES for c in vin):
        return False
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return vin[8] == ("X" if remainder == 10 else str(remainder))


_VIN_WORDS = re.compile(r"(?i)\b(?:vin|vehicle\s+identification|chassis|frame\s+number)\b")


class VinRecognizer(Recognizer):
    """17-character vehicle identification numbers (no I, O or Q).

    A valid check digit counts alone (North American VINs carry one); other VINs, which
    often do not, count next to VIN words.
    """

    entity = PiiType.VEHICLE_IDENTIFICATION_NUMBER
    name = "vin"
    trigger = r"(?i)[a-hj-npr-z0-9]{17}"
    trigger_group = "vin"  # counts every letter and digit of ordinary text up to 17
    _pattern = re.compile(r"(?<![\w-])[A-HJ-NPR-Z0-9]{17}(?![\w-])")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text.upper()):
            value = m.group()
            digits = sum(c.isdigit() for c in value)
            if digits < 3 or digits == 17:
                continue
            if vin_check_digit_ok(value):
                yield Span(m.start(), m.end(), 0.95, validated=True)
            elif near(text, m.start(), m.end(), _VIN_WORDS):
                yield Span(m.start(), m.end(), 0.8)


def _plate_shaped(value: str) -> bool:
    """4-9 characters with a digit, and not a four-digit year ("plate from 2019")."""
    compact = value.replace(" ", "").replace("-", "")
    if not 4 <= len(compact) <= 9 or not any(c.isdigit() for c in compact):
        return False
    return not (compact.isdigit() and len(compact) == 4)


LICENSE_PLATE = PatternRow(
    entity=PiiType.LICENSE_PLATE,
    name="license_plate",
    description="Vehicle registration plates: every country and US state has its own format "
    "(1-4 letters or digits in up to three groups, 4-9 characters with at least one digit), so "
    "only right after plate or registration words.",
    pattern=r"(?<![\w-])[A-Z0-9]{1,4}(?:[- ]?[A-Z0-9]{1,4}){1,2}(?![\w-])",
    shape=r"\d",
    keep=_plate_shaped,
    tiers=(
        Tier(
            0.8,
            context=Context(
                r"\b(?:licen[cs]e\s+plate|plate\s+(?:number|no)|number\s+plate|registration\s+(?:number|plate|no)|"
                r"reg\.?\s+(?:number|no)|tag\s+number|plates?)\b",
                before=32,
                after=0,
            ),
        ),
    ),
)
