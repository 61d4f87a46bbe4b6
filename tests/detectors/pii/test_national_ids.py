from __future__ import annotations

import pytest
from tests.detectors.pii.conftest import spans_of

from steward.policy.schema import PiiType

E = PiiType


def test_ssn_dashed_alone_and_plain_with_context(find):
    text = "SSN 123-45-6789 on file"
    assert find(E.US_SOCIAL_SECURITY_NUMBER, text) == spans_of(text, "123-45-6789")
    text = "social security number 123456789"
    assert find(E.US_SOCIAL_SECURITY_NUMBER, text) == spans_of(text, "123456789")
    assert find(E.US_SOCIAL_SECURITY_NUMBER, "invoice 123456789") == []


@pytest.mark.parametrize("value", ["000-12-3456", "666-12-3456", "123-00-4567", "123-45-0000", "078-05-1120"])
def test_ssn_rules_reject_never_issued_numbers(find, value):
    assert find(E.US_SOCIAL_SECURITY_NUMBER, f"SSN {value}") == []


def test_itin_ranges(find):
    text = "ITIN 912-70-1234"
    assert find(E.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, text) == spans_of(text, "912-70-1234")
    assert find(E.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, "ITIN 912-34-1234") == []  # group 34 not used
    assert find(E.US_SOCIAL_SECURITY_NUMBER, "ITIN 912-70-1234") == []  # 9xx is never an SSN


def test_us_passport_needs_the_word(find):
    text = "Passport no. 340020013 expires soon"
    assert find(E.US_PASSPORT_NUMBER, text) == spans_of(text, "340020013")
    assert find(E.US_PASSPORT_NUMBER, "Ticket 340020013") == []


def test_nhs_mod11_with_context(find):
    text = "NHS number 943 476 5919"
    assert find(E.UK_NATIONAL_HEALTH_SERVICE_NUMBER, text) == spans_of(text, "943 476 5919")
    assert find(E.UK_NATIONAL_HEALTH_SERVICE_NUMBER, "NHS number 943 476 5918") == []
    assert find(E.UK_NATIONAL_HEALTH_SERVICE_NUMBER, "call 943 476 5919") == []


def test_nino_prefix_rules(find):
    text = "My NI number is AB 12 34 56 C."
    assert find(E.UK_NATIONAL_INSURANCE_NUMBER, text) == spans_of(text, "AB 12 34 56 C")
    for bad in ("QQ 12 34 56 C", "GB 12 34 56 C", "AB 12 34 56 E"):
        assert find(E.UK_NATIONAL_INSURANCE_NUMBER, f"NI number {bad}") == []


def test_utr_check_digit(find):
    text = "UTR: 1955839661"
    assert find(E.UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, text) == spans_of(text, "1955839661")
    assert find(E.UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, "UTR: 1955839662") == []


def test_sin_luhn(find):
    text = "SIN 130 692 544"
    assert find(E.CA_SOCIAL_INSURANCE_NUMBER, text) == spans_of(text, "130 692 544")
    assert find(E.CA_SOCIAL_INSURANCE_NUMBER, "SIN 130 692 545") == []
    assert find(E.CA_SOCIAL_INSURANCE_NUMBER, "serial 130692544") == []  # plain digits need context


def test_ca_health_numbers(find):
    text = "BC personal health number 9698 658 215 and OHIP health card 1234-567-890-AB"
    assert find(E.CA_HEALTH_NUMBER, text) == spans_of(text, "9698 658 215", "1234-567-890-AB")
    assert find(E.CA_HEALTH_NUMBER, "Order 1234-567-890 shipped") == []


def test_driver_id_after_licence_words(find):
    text = "My driver's license number is F162823540116."
    assert find(E.DRIVER_ID, text) == spans_of(text, "F162823540116")
    assert find(E.DRIVER_ID, "The driver arrived at 1500 hours") == []
