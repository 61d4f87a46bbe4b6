from __future__ import annotations

import pytest
from tests.detectors.pii.conftest import spans_of

from steward.detectors.pii.financial import known_issuer
from steward.policy.schema import PiiType

E = PiiType


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Card 4111 1111 1111 1111 please", "4111 1111 1111 1111"),
        ("mc 5500-0000-0000-0004.", "5500-0000-0000-0004"),
        ("amex 378282246310005", "378282246310005"),
        ("discover 6011111111111117, thanks", "6011111111111117"),
    ],
)
def test_card_numbers_pass_luhn(find, text, value):
    found = find(E.CREDIT_DEBIT_CARD_NUMBER, text)
    assert found == spans_of(text, value)


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1112 please",  # Luhn fails
        "Order number 1234567812345678 has shipped",  # a 16-digit order number failing Luhn
        "Tracking 1111111111111111",  # Luhn-valid but one repeated digit
        "Pi is 3.14159265358979323",
    ],
)
def test_card_near_misses(find, text):
    assert find(E.CREDIT_DEBIT_CARD_NUMBER, text) == []


def test_known_issuer_checks_prefix_and_length():
    assert known_issuer("4111111111111111")
    assert known_issuer("378282246310005")
    assert not known_issuer("3782822463100050")  # Amex is 15 digits
    assert not known_issuer("9111111111111111")


def test_cvv_and_expiry_only_in_context(find):
    text = "Visa 4111 1111 1111 1111, exp 09/27, CVV: 123."
    assert find(E.CREDIT_DEBIT_CARD_CVV, text) == spans_of(text, "123")
    assert find(E.CREDIT_DEBIT_CARD_EXPIRY, text) == spans_of(text, "09/27")
    assert find(E.CREDIT_DEBIT_CARD_CVV, "We sold 123 units") == []
    assert find(E.CREDIT_DEBIT_CARD_EXPIRY, "The ratio was 3/4 and 09/27 is a fraction") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("IBAN GB82 WEST 1234 5698 7654 32 for the refund", "GB82 WEST 1234 5698 7654 32"),
        ("pay DE89370400440532013000.", "DE89370400440532013000"),
        ("lowercase gb82west12345698765432 works", "gb82west12345698765432"),
    ],
)
def test_iban_mod97(find, text, value):
    assert find(E.INTERNATIONAL_BANK_ACCOUNT_NUMBER, text) == spans_of(text, value)


def test_iban_bad_checksum(find):
    assert find(E.INTERNATIONAL_BANK_ACCOUNT_NUMBER, "IBAN GB82 WEST 1234 5698 7654 33") == []


def test_swift_needs_context_or_a_digit(find):
    text = "Wire it to SWIFT DEUTDEFF and branch DEUTDEFF500."
    assert find(E.SWIFT_CODE, text) == spans_of(text, "DEUTDEFF", "DEUTDEFF500")
    assert find(E.SWIFT_CODE, "Read the DOCUMENT and SHOUTING text") == []
    assert find(E.SWIFT_CODE, "Our bank code is ABCDXX12") == []  # XX is no country


def test_routing_number_checksum_and_context(find):
    text = "Routing number 011000015, account 12345678"
    assert find(E.US_BANK_ROUTING_NUMBER, text) == spans_of(text, "011000015")
    assert find(E.US_BANK_ROUTING_NUMBER, "Routing number 011000016") == []  # checksum fails
    assert find(E.US_BANK_ROUTING_NUMBER, "Invoice 011000015 is due") == []  # no context


def test_bank_account_after_account_words(find):
    text = "Checking account number: 000123456789 at Chase"
    assert find(E.US_BANK_ACCOUNT_NUMBER, text) == spans_of(text, "000123456789")
    assert find(E.US_BANK_ACCOUNT_NUMBER, "The account was opened in 2019") == []


def test_pin(find):
    text = "my PIN is 4821, don't share it"
    assert find(E.PIN, text) == spans_of(text, "4821")
    assert find(E.PIN, "Pin the 4821 notes to the board") == []
