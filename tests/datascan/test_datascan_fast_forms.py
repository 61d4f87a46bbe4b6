"""The faster spellings a scan runs find exactly what the plain forms they replace find.

Three regexes were respelt so that Python's engine can skip ahead by their first character
(address house numbers, ages with a unit), and names are set aside before language ranking
by a regex of capitalised words rather than a call per word. Each is compared here with the
form it replaced, written out as it was, on texts made to reach their edges.
"""

from __future__ import annotations

import re

import pytest

from steward.detectors import language
from steward.detectors.pii import address, personal

TEXTS = [
    "",
    "24 Clarke Avenue, Vesterskovvej 79 and Via Roma 131.\n30102 Kaevu 94\nKirály u. 15. 2000",
    "Erzsébet tér 19.\nul. Zamkowa 33/2a, 1600-1/2B x12 a-5 7.5 12,3 x\t88 \u00a099 \u2003١٢٣ ٤",
    "I am 40 years old; 140-year-old, 150 years, 149yrs, 1 yr old, a1 year, x12 y/o, 12yo, 0years",
    "_9 years old, é10 years old, 1\u0663 years old, 105 Y.O. and 11-years-of age, 19 y.o.",
    "--Hello there Bob, don't-Stop x'Yz 9Lives _Foo 'Bob' ’Tis A-b -'-Q a--B c’D ’’-Zed e-’F",
    "Jean-Pierre met O'Neil at NASA's HQ; 'Twas -Mr ‘Quoted’ “Name” — Done! ZZ",
]

OLD_HOUSE_NUMBER = re.compile(r"(?<=\s)" + address._NUMBER + r"(?![\w/-]|[.,]\d)" + address._ORDINAL_DOT)
OLD_WITH_UNIT = re.compile(
    r"(?i)\b(1[0-4]\d|\d{1,2})(?:\s|-)?(?:years?|yrs?|y/o|yo\b|y\.o\.)(?:(?:\s|-)?old\b|(?:\s|-)?of\s+age\b)?"
)


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


@pytest.mark.parametrize("text", TEXTS)
def test_house_numbers_are_found_as_before(text: str) -> None:
    assert _found(address._HOUSE_NUMBER, text) == _found(OLD_HOUSE_NUMBER, text)


@pytest.mark.parametrize("text", TEXTS)
def test_ages_with_a_unit_are_found_as_before(text: str) -> None:
    assert _found(personal._WITH_UNIT, text) == _found(OLD_WITH_UNIT, text)


def test_the_texts_reach_the_patterns() -> None:
    """The comparisons above are not of empty results."""
    assert len(_found(OLD_HOUSE_NUMBER, " ".join(TEXTS))) >= 10
    assert len(_found(OLD_WITH_UNIT, " ".join(TEXTS))) >= 8


#: The texts whose word characters are all ASCII: the ones language ranks as a plain sample.
PLAIN_TEXTS = [t for t in TEXTS if language._plain_sample(t) is not None]


@pytest.mark.parametrize("text", PLAIN_TEXTS)
def test_names_of_a_plain_text_are_set_aside_as_before(text: str) -> None:
    """For a text whose word characters are ASCII (a plain sample), the capitalised-word regex
    leaves what the per-word replacement left."""
    plain = language._plain_sample(text)
    assert plain is not None
    words = plain._text
    old = language._WORD.sub(lambda m: " " if m.group()[0].isupper() else m.group(), words)
    assert language._ASCII_NAME.sub(language._name_blank, words) == old


def test_plain_texts_are_among_the_cases() -> None:
    assert len(PLAIN_TEXTS) >= 4
