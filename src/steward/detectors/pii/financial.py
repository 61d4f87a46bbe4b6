"""Payment and banking data: cards, CVV, expiry, IBAN, SWIFT/BIC, US routing and account numbers, PINs.

Checksums come from ``python-stdnum`` (Luhn, IBAN mod-97, ABA routing, BIC country codes).
Values with no checksum (CVV, expiry, account numbers, PINs) only count next to the words
that name them, as a human reader would need too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import bic, iban, luhn
from stdnum.us import rtn

from steward.detectors.pii.context import before, near, trigger_near
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = [
    "BankAccountRecognizer",
    "CardCvvRecognizer",
    "CardExpiryRecognizer",
    "CardNumberRecognizer",
    "IbanRecognizer",
    "PinRecognizer",
    "RoutingNumberRecognizer",
    "SwiftCodeRecognizer",
    "known_issuer",
]

_CARD_WORDS = re.compile(
    r"(?i)\b(?:card|credit|debit|visa|master\s?card|amex|american express|discover|maestro|diners|jcb|"
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


class CardNumberRecognizer(Recognizer):
    """Card numbers of 12–19 digits, in groups or not, that pass the Luhn checksum.

    A known issuer prefix and length (:func:`known_issuer`) gives full confidence; a
    Luhn-valid number of another shape counts less, and more next to card words.
    """

    entity = PiiType.CREDIT_DEBIT_CARD_NUMBER
    name = "credit_card"
    trigger = r"\d{4}[ -]?\d{4}[ -]?\d{4}|\d{4}[ -]\d{6}[ -]\d{4}"
    #: Printed as one run of digits, in groups of four, or as American Express and Diners
    #: group theirs (4-6-5, 4-6-4); other groupings are phone numbers and references.
    _pattern = re.compile(
        r"(?<![\w.,-])(?:\d{12,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})"
        r"(?!\w|[.,]\d|-\d)"
    )

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            value = m.group()
            digits = value.replace(" ", "").replace("-", "")
            if not luhn.is_valid(digits) or len(set(digits)) == 1:
                continue
            if known_issuer(digits):
                yield Span(m.start(), m.end(), 1.0, validated=True)
            elif near(m.string, m.start(), m.end(), _CARD_WORDS):
                yield Span(m.start(), m.end(), 0.9, validated=True)
            else:
                yield Span(m.start(), m.end(), 0.6, validated=True)


_CVV = re.compile(
    r"(?i)\b(?:cvv2?|cvc2?|csc|cid|cvn|security code|card verification(?: value| code)?|"
    r"3[- ]digit code)\b(?:\s*(?:is|was|no\.?|number|code|[:#=-]))*\s*(\d{3,4})\b"
)


class CardCvvRecognizer(Recognizer):
    """The 3–4 digit card security code, only after the words that name it (CVV, CVC, security code)."""

    entity = PiiType.CREDIT_DEBIT_CARD_CVV
    name = "card_cvv"
    trigger = r"(?i)\b(?:cvv2?|cvc2?|csc|cid|cvn|security code|verification|digit code)\b[^\d\n]{0,24}\d{3}"

    def find(self, text: str) -> Iterator[Span]:
        for m in _CVV.finditer(text):
            yield Span(m.start(1), m.end(1), 0.9)


_EXPIRY_WORDS = re.compile(
    r"(?i)\b(?:exp(?:iry|iration|ires?|\.)?(?:\s+date)?|valid\s+(?:thru|through|until|to)|good\s+thru|"
    r"expiration\s+date)\b"
)
_EXPIRY_VALUE = re.compile(r"(?<![\d/.-])(0?[1-9]|1[0-2])\s?[/-]\s?(20\d{2}|\d{2})(?![\d/.-])")


class CardExpiryRecognizer(Recognizer):
    """A card's expiry date (``MM/YY``, ``MM/YYYY``), next to expiry words or to card words."""

    entity = PiiType.CREDIT_DEBIT_CARD_EXPIRY
    name = "card_expiry"
    trigger = r"(?:^|[^\d])(?:0?[1-9]|1[0-2]) ?[/-] ?\d\d"

    def find(self, text: str) -> Iterator[Span]:
        for m in _EXPIRY_VALUE.finditer(text):
            start, end = m.span()
            if before(text, start, _EXPIRY_WORDS, 32):
                yield Span(start, end, 0.9)
            elif before(text, start, _CARD_WORDS, 48):
                yield Span(start, end, 0.65)


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


_SWIFT_WORDS = re.compile(r"(?i)\b(?:swift|bic|bank|iban|wire|transfer|routing|sort code)\b")


class SwiftCodeRecognizer(Recognizer):
    """SWIFT/BIC codes (``DEUTDEFF``, ``DEUTDEFF500``) with a real country code (``stdnum.bic``).

    Eight capital letters are also an ordinary shouted word (``DOCUMENT`` parses as a BIC for
    Montenegro), so a code counts only next to banking words unless its location or branch
    part carries a digit.
    """

    entity = PiiType.SWIFT_CODE
    name = "swift_code"
    trigger = r"[A-Z]{6}[A-Z0-9]{2}"
    _pattern = re.compile(r"\b[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            value = m.group()
            if not bic.is_valid(value):
                continue
            if near(text, m.start(), m.end(), _SWIFT_WORDS):
                yield Span(m.start(), m.end(), 0.95, validated=True)
            elif any(c.isdigit() for c in value[6:]):
                yield Span(m.start(), m.end(), 0.6, validated=True)


_ROUTING_WORDS = re.compile(r"(?i)\b(?:routing|aba|rtn|transit|ach|wire)\b")


class RoutingNumberRecognizer(Recognizer):
    """US ABA routing numbers: nine digits passing ``stdnum.us.rtn``, next to routing words."""

    entity = PiiType.US_BANK_ROUTING_NUMBER
    name = "us_routing_number"
    trigger = trigger_near(r"\b(?:routing|aba|rtn|transit|ach|wire)\b", r"\d{9}")
    _pattern = re.compile(r"(?<![\d-])\d{9}(?![\d-])")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            if rtn.is_valid(m.group()) and near(text, m.start(), m.end(), _ROUTING_WORDS):
                yield Span(m.start(), m.end(), 0.95, validated=True)


_ACCOUNT = re.compile(
    r"(?i)\b(?:(?:bank|checking|savings|deposit)\s+)?(?:account|acct|a/c)\.?\s*(?:number|num|no\.?|#)?"
    r"(?:\s*(?:is|was|[:#=-]))*\s*(\d(?:[ -]?\d){5,16})(?![\d])"
)


class BankAccountRecognizer(Recognizer):
    """US bank account numbers (6–17 digits) after the words that name them; they carry no checksum."""

    entity = PiiType.US_BANK_ACCOUNT_NUMBER
    name = "us_bank_account"
    trigger = r"(?i)(?:account|acct|a/c)\.? *(?:number|num|no\.?|#)?(?: *(?:is|was|[:#=-]))* *\d"

    def find(self, text: str) -> Iterator[Span]:
        for m in _ACCOUNT.finditer(text):
            yield Span(m.start(1), m.end(1), 0.8)


_PIN = re.compile(
    r"(?i)\b(?:pin|pin\s+code|pin\s+number|passcode)\b(?:\s*(?:is|was|code|number|no\.?|[:#=-]))*\s*"
    r"[\"'“]?(\d{4,8})\b"
)


class PinRecognizer(Recognizer):
    """Personal identification numbers (4–8 digits) after ``PIN``/``passcode``."""

    entity = PiiType.PIN
    name = "pin"
    trigger = r"(?i)\b(?:pin|passcode)\b[^\d\n]{0,24}\d{4}"

    def find(self, text: str) -> Iterator[Span]:
        for m in _PIN.finditer(text):
            yield Span(m.start(1), m.end(1), 0.85)
