from __future__ import annotations

import pytest
from tests.detectors.pii.conftest import spans_of

from steward.policy.schema import PiiType

E = PiiType


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            "Ship it to 24 Clarke Avenue, Springfield, IL 62704 please",
            "24 Clarke Avenue, Springfield, IL 62704",
        ),
        ("I live at 1600 N. Pennsylvania Ave NW.", "1600 N. Pennsylvania Ave NW"),
        ("The bus station is on Vesterskovvej 79", "Vesterskovvej 79"),
        ("Meet me at Via Roma 131, Milano", "Via Roma 131, Milano"),
        ("Send it to P.O. Box 1234", "P.O. Box 1234"),
        ("Unit 8524 Box 0979\nDPO AA 56703", "Unit 8524 Box 0979\nDPO AA 56703"),
        (
            "Return to 35108 ul. Zamkowa 33 Apt. 406\nBeerze\n, OV\n Netherlands 02032 in case",
            "35108 ul. Zamkowa 33 Apt. 406\nBeerze\n, OV\n Netherlands 02032",
        ),
        ("The bus station is on Villacher Strasse 89", "Villacher Strasse 89"),
    ],
)
def test_addresses(find, text, value):
    assert find(E.ADDRESS, text) == spans_of(text, value)


def test_unit_line_alone_is_found():
    from steward.assessment import Source
    from steward.detectors.base import DetectionRequest
    from steward.detectors.pii import PiiDetector

    findings = PiiDetector([E.ADDRESS]).detect(
        "The lift stops near Suite 464.", DetectionRequest(source=Source.INPUT)
    )
    assert [(f.match, f.score) for f in findings] == [("Suite 464", 0.6)]


@pytest.mark.parametrize(
    "text",
    [
        "I ordered 2 large pizzas on Friday.",
        "We have 3 options and 12 days left.",
        "Version 2.4.1 of the app shipped in release 2.5.",
        "The Spring 2024 catalogue is out.",
    ],
)
def test_not_addresses(find, text):
    assert find(E.ADDRESS, text) == []
