from __future__ import annotations

import pytest
from tests.detectors.pii.conftest import spans_of

from steward.policy.schema import PiiType

E = PiiType


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Write to jane.doe+news@example.co.uk today.", ["jane.doe+news@example.co.uk"]),
        ("Contacts: a@b.io, x_y@sub.example.org.", ["a@b.io", "x_y@sub.example.org"]),
        ("Écrivez à josé.garcía@correo.es s'il vous plaît", ["josé.garcía@correo.es"]),
    ],
)
def test_email_found_with_exact_offsets(find, text, values):
    assert find(E.EMAIL, text) == spans_of(text, *values)


@pytest.mark.parametrize(
    "text", ["email me at jane@localhost", "the @ sign", "user@.com", "a..b@example.com"]
)
def test_email_near_misses(find, text):
    assert find(E.EMAIL, text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Call me on (212) 555-0143 tonight.", "(212) 555-0143"),
        ("My UK mobile is +44 7700 900123.", "+44 7700 900123"),
        ("Office: 020 7946 0958", "020 7946 0958"),
        ("Ruf mich an: +49 30 901820", "+49 30 901820"),
        ("Fax: 345-899-3560x4587", "345-899-3560x4587"),
        ("Call me on 01.84.17.61.18 tomorrow", "01.84.17.61.18"),
    ],
)
def test_phone_parsed_by_phonenumbers(find, text, value):
    assert find(E.PHONE, text) == spans_of(text, value)


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 2023-01-15 at noon.",
        "Born 15/01/1984 in Leeds.",
        "Logged at 2000-04-16 11:34:35 by the server.",
        "Revenue was 1234567 dollars.",
        "Order 123-456 shipped.",
        "Call support if Google Chrome 92.0.4515.107 crashes",
    ],
)
def test_dates_and_amounts_are_not_phones(find, text):
    assert find(E.PHONE, text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("See https://example.com/a/b?x=1&y=2.", "https://example.com/a/b?x=1&y=2"),
        ("Visit www.example.org for more", "www.example.org"),
        ("Docs at (https://en.wikipedia.org/wiki/Foo_(bar)) here", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("Go to example.com/pricing now", "example.com/pricing"),
    ],
)
def test_url(find, text, value):
    assert find(E.URL, text) == spans_of(text, value)


def test_file_names_are_not_urls(find):
    assert find(E.URL, "Open report.pdf and main.py, then config.yaml") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Blocked 192.168.1.20 twice", "192.168.1.20"),
        ("from 8.8.8.8.", "8.8.8.8"),
        ("IPv6 2001:db8::ff00:42:8329 is up", "2001:db8::ff00:42:8329"),
        ("loopback ::1 only", "::1"),
    ],
)
def test_ip_addresses(find, text, value):
    assert find(E.IP_ADDRESS, text) == spans_of(text, value)


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to version 1.2.3.4 today",
        "Release v2.10.3 fixed it",
        "999.1.1.1 is not an address",
        "1.2.3.4.5 is an OID",
        "Meet at 12:30:45 sharp",
        "Use the subnet mask 255.255.255.0",
    ],
)
def test_version_strings_and_times_are_not_ips(find, text):
    assert find(E.IP_ADDRESS, text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("eth0 is 00:1A:2B:3C:4D:5E.", "00:1A:2B:3C:4D:5E"),
        ("mac 00-1a-2b-3c-4d-5e", "00-1a-2b-3c-4d-5e"),
        ("cisco 001a.2b3c.4d5e ok", "001a.2b3c.4d5e"),
    ],
)
def test_mac_address(find, text, value):
    assert find(E.MAC_ADDRESS, text) == spans_of(text, value)


def test_mixed_separators_are_not_a_mac(find):
    assert find(E.MAC_ADDRESS, "00:1A-2B:3C-4D:5E") == []


def test_a_number_no_region_validates_needs_a_phone_label(find):
    assert find(E.PHONE, "a large prime number, such as 1073741789.") == []
    text = "Phone: 467 3395"
    assert find(E.PHONE, text) == spans_of(text, "467 3395")
