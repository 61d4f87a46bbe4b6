"""Payment and banking data: cards, CVV, expiry, IBAN, SWIFT/BIC, US routing and account numbers, PINs.

Checksums come from ``python-stdnum`` (Luhn, IBAN mod-97, ABA routing, BIC country codes).
Values with no checksum (CVV, expiry, account numbers, PINs) only count next to the words
that name them, as a human reader would need too. All but the IBAN (which trims words its
grouped form swallowed) are pattern rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import bic, iban, luhn
from stdnum.us import rtn

from steward.detectors.pii.pattern import Context, PatternRow, Tier
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = [
    "BANK_ACCOUNT",
    "CARD_CVV",
    "CARD_EXPIRY",
    "CARD_NUMBER",
    "PIN",
    "ROUTING_NUMBER",
    "SWIFT_CODE",
    "IbanRecognizer",
    "known_issuer",
]

_CARD_WORDS = (
    r"\b(?:card|credit|debit|visa|master\s?card|amex|american express|discover|maestro|diners|jcb|"
    r"unionpay|cc|payment|pay|billing|charge[ds]?)\b"
)


#: Issuer prefixes (IIN ranges) and the lengths each network issues; python-stdnum has no card module.
_ISSUERS: tuple[tuple[tuple[int, int], tuple[int, ...]], ...] = (
    ((4, 4), (13, 16, 19)),  # Visa
    ((51, 55), (16,)),  # Mastercard
    ((2221, 2720), (16,)),  # Mastercard 2-series
    ((34, 34), (15,)),  # American Express
    ((37, 37), (15,)),
    ((6011, 6011), (16, 17, 18, 19)),  # Discover
    ((644, 649), (16, 17, 18, 19)),
    ((65, 65), (16, 17, 18, 19)),
    ((3528, 3589), (16, 17, 18, 19)),  # JCB
    ((300, 305), (14, 15, 16, 17, 18, 19)),  # Diners Club
    ((36, 36), (14, 15, 16, 17, 18, 19)),
    ((38, 39), (16, 17, 18, 19)),
    ((62, 62), (16, 17, 18, 19)),  # UnionPay
    ((50, 50), tuple(range(12, 20))),  # Maestro
    ((56, 69), tuple(range(12, 20))),
)


def known_issuer(digits: str) -> bool:
    """Whether ``digits`` starts with a card network's prefix and has a length that network issues."""
    for (low, high), lengths in _ISSUERS:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def _card_digits(value: str) -> str:
    return value.replace(" ", "").replace("-", "")


def _luhn_card(value: str) -> bool:
    """Luhn-valid (stdnum.luhn) and not one digit repeated (``0000 0000 0000 0000`` passes Luhn)."""
    digits = _card_digits(value)
    return bool(luhn.is_valid(digits)) and len(set(digits)) != 1


CARD_NUMBER = PatternRow(
    entity=PiiType.CREDIT_DEBIT_CARD_NUMBER,
    name="credit_card",
    description="Card numbers of 12-19 digits that pass the Luhn checksum, printed as one run of "
    "digits, in groups of four, or as American Express and Diners group theirs (4-6-5, 4-6-4); "
    "other groupings are phone numbers and references. A known issuer prefix and length "
    "(known_issuer) gives full confidence; a Luhn-valid number of another shape counts less, "
    "and more next to card words.",
    pattern=r"(?<![\w.,-])(?:\d{12,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})"
    r"(?!\w|[.,]\d|-\d)",
    shape=r"\d{4}[ -]?\d{4}[ -]?\d{4}|\d{4}[ -]\d{6}[ -]\d{4}",
    validator=_luhn_card,
    tiers=(
        Tier(1.0, checked=True, when=lambda m: known_issuer(_card_digits(m.group()))),
        Tier(0.9, checked=True, context=Context(_CARD_WORDS)),
        Tier(0.6, checked=True),
    ),
)

CARD_CVV = PatternRow(
    entity=PiiType.CREDIT_DEBIT_CARD_CVV,
    name="card_cvv",
    description="The 3-4 digit card security code (CVV2 Visa, CVC2 Mastercard, CID Amex and "
    "Discover, 4 digits on Amex); it has no structure, so only right after the words that name it.",
    lead=r"cvv2?|cvc2?|csc|cid|cvn|security code|card verification(?: value| code)?|3[- ]digit code",
    pattern=r"(?i)\b(?:{lead})\b(?:\s*(?:is|was|no\.?|number|code|[:#=-]))*\s*(\d{3,4})\b",
    shape=r"(?i)\b(?:{lead})\b[^\d\n]{0,24}\d{3}",
    group=1,
    tiers=(Tier(0.9),),
)

CARD_EXPIRY = PatternRow(
    entity=PiiType.CREDIT_DEBIT_CARD_EXPIRY,
    name="card_expiry",
    description="A card's expiry date as printed on the card (MM/YY, MM/YYYY, month 01-12), "
    "after expiry words or, less surely, after card words.",
    pattern=r"(?<![\d/.-])(0?[1-9]|1[0-2])\s?[/-]\s?(20\d{2}|\d{2})(?![\d/.-])",
    shape=r"(?:^|[^\d])(?:0?[1-9]|1[0-2])\s?[/-]\s?\d\d",
    tiers=(
        Tier(
            0.9,
            context=Context(
                r"\b(?:exp(?:iry|iration|ires?|\.)?(?:\s+date)?|valid\s+(?:thru|through|until|to)|good\s+thru|"
                r"expiration\s+date)\b",
                before=32,
                after=0,
            ),
        ),
        Tier(0.65, context=Context(_CARD_WORDS, before=48, after=0)),
    ),
)


class IbanRecognizer(Recognizer):
    """International bank account numbers, compact or in groups of four, checked by ``stdnum.iban`` (mod 97)."""

    entity = PiiType.INTERNATIONAL_BANK_ACCOUNT_NUMBER
    name = "iban"
    trigger = r"(?i)[a-z]{2}\d{2} ?[a-z0-9]{4}"
    _pattern = re.compile(r"(?i)\b[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{1,4}){3,8}\b")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            value = m.group()
            # A trailing word may have been swallowed by the grouped form: drop groups until valid.
            while len(value.replace(" ", "")) >= 15:
                if iban.is_valid(value):
                    yield Span(m.start(), m.start() + len(value), 1.0, validated=True)
                    break
                if " " not in value:
                    break
                value = value.rsplit(" ", 1)[0]


SWIFT_CODE = PatternRow(
    entity=PiiType.SWIFT_CODE,
    name="swift_code",
    description="SWIFT/BIC codes (ISO 9362: four letters of bank, two of country, two of location, "
    "an optional three of branch: DEUTDEFF, DEUTDEFF500) with a real country code (stdnum.bic). "
    "Eight capital letters are also an ordinary shouted word (DOCUMENT parses as a BIC for "
    "Montenegro), so a code counts only next to banking words unless its location or branch "
    "part carries a digit.",
    pattern=r"\b[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b",
    shape=r"[A-Z]{6}[A-Z0-9]{2}",
    validator=bic.is_valid,
    tiers=(
        Tier(
            0.95,
            checked=True,
            context=Context(r"\b(?:swift|bic|bank|iban|wire|transfer|routing|sort code)\b"),
        ),
        Tier(0.6, checked=True, when=lambda m: any(c.isdigit() for c in m.group()[6:])),
    ),
)

ROUTING_NUMBER = PatternRow(
    entity=PiiType.US_BANK_ROUTING_NUMBER,
    name="us_routing_number",
    description="US ABA routing transit numbers: nine digits whose weighted sum (3, 7, 1) is a "
    "multiple of ten (stdnum.us.rtn); plenty of nine-digit numbers pass, so only next to routing words.",
    pattern=r"(?<![\d-])\d{9}(?![\d-])",
    shape=r"\d{9}",
    validator=rtn.is_valid,
    tiers=(Tier(0.95, checked=True, context=Context(r"\b(?:routing|aba|rtn|transit|ach|wire)\b")),),
)

BANK_ACCOUNT = PatternRow(
    entity=PiiType.US_BANK_ACCOUNT_NUMBER,
    name="us_bank_account",
    description="US bank account numbers: 6-17 digits, set by each bank, with no checksum, so only "
    "right after the words that name them.",
    lead=r"account|acct|a/c",
    pattern=r"(?i)\b(?:(?:bank|checking|savings|deposit)\s+)?(?:{lead})\.?\s*(?:number|num|no\.?|#)?"
    r"(?:\s*(?:is|was|[:#=-]))*\s*(\d(?:[ -]?\d){5,16})(?![\d])",
    shape=r"(?i)(?:{lead})\.?\s*(?:number|num|no\.?|#)?(?:\s*(?:is|was|[:#=-]))*\s*\d",
    group=1,
    tiers=(Tier(0.8),),
)

PIN = PatternRow(
    entity=PiiType.PIN,
    name="pin",
    description="Personal identification numbers (4-8 digits; ISO 9564 allows 4-12, cards use 4-6) "
    "after PIN or passcode; any digits can be a PIN, so the words are required.",
    lead=r"pin|pin\s+code|pin\s+number|passcode",
    pattern=r"(?i)\b(?:{lead})\b(?:\s*(?:is|was|code|number|no\.?|[:#=-]))*\s*[\"'“]?(\d{4,8})\b",
    shape=r"(?i)\b(?:{lead})\b[^\d\n]{0,24}\d{4}",
    group=1,
    tiers=(Tier(0.85),),
)
