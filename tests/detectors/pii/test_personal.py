from __future__ import annotations

import pytest
from tests.detectors.pii.conftest import spans_of

from steward.policy.schema import PiiType

E = PiiType


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I am 34 years old.", "34 years"),
        ("Patient is a 67-year-old male", "67-year"),
        ("i'm 23 y/o", "23 y/o"),
        ("Age: 41", "41"),
        ("My father retired at the age of 65", "65"),
        ("He just turned 30.", "30"),
    ],
)
def test_age(find, text, value):
    assert find(E.AGE, text) == spans_of(text, value)


@pytest.mark.parametrize(
    "text",
    ["I worked there for 5 years.", "The page has 34 messages", "Average: 41.5", "This 200 year old oak"],
)
def test_not_ages(find, text):
    assert find(E.AGE, text) == []
