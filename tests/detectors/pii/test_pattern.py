"""Pattern rows: the recognizers that are data, and the one recognizer that runs them."""

from __future__ import annotations

import dataclasses

import pytest
import re2

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.pii import PiiDetector
from steward.detectors.pii.pattern import Context, PatternRecognizer, PatternRow, Tier, to_re2
from steward.detectors.pii.registry import pattern_rows, recognizer_classes
from steward.policy.schema import PiiType

ROWS = pattern_rows()

#: For each row, a text in which it finds a value (its words included where it needs them).
EXAMPLES = {
    "aws_access_key": "key AKIAIOSFODNN7EXAMPLE in the config",
    "aws_secret_key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "us_bank_account": "my checking account number is 12345678",
    "ca_health_number": "BC personal health number 9698 658 215",
    "ca_sin": "SIN 130 692 544",
    "card_cvv": "CVV: 123",
    "card_expiry": "expiry date 09/27",
    "credit_card": "card 4111 1111 1111 1111",
    "driver_id": "My driver's license number is F162823540116",
    "license_plate": "license plate: 7ABC123",
    "mac_address": "eth0 00:1A:2B:3C:4D:5E",
    "pin": "PIN: 4921",
    "us_routing_number": "routing number 021000021",
    "swift_code": "SWIFT code DEUTDEFF500",
    "uk_nhs": "NHS number 943 476 5919",
    "uk_nino": "NI number AB 12 34 56 C",
    "uk_utr": "UTR: 1955839661",
    "us_itin": "ITIN 912-70-1234",
    "us_passport": "passport 912803456",
    "us_ssn": "SSN 123-45-6789",
}


def test_every_row_has_an_example():
    assert set(EXAMPLES) == {row.name for row in ROWS}


def test_about_twenty_recognizers_are_rows_and_all_are_registered():
    assert len(ROWS) == 20
    registered = {cls.name: cls for cls in recognizer_classes()}
    for row in ROWS:
        cls = registered[row.name]
        assert issubclass(cls, PatternRecognizer)
        assert (cls.entity, cls.trigger, cls.__doc__) == (row.entity, row.trigger, row.description)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_every_row_carries_its_domain_description(row):
    # The description is the domain comment the classes had: what the value is and its rules.
    assert len(row.description) >= 60, row.name
    assert row.description[0].isupper() and row.description.rstrip().endswith("."), row.name


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_every_row_finds_its_example_and_its_trigger_fires(row):
    text = EXAMPLES[row.name]
    assert list(row.find(text)), row.name
    assert re2.search(row.trigger, text) is not None, row.name


def test_rows_hold_no_trigger_of_their_own():
    # The trigger is computed from the row (a property), so no second word list can be written down.
    fields = {f.name for f in dataclasses.fields(PatternRow)}
    assert "trigger" not in fields
    assert not any("word" in name for name in fields)


GATED = [row for row in ROWS if row.gate is not None]


def test_context_gated_rows_exist():
    assert {r.name for r in GATED} >= {
        "uk_nhs",
        "uk_utr",
        "us_passport",
        "us_routing_number",
        "ca_health_number",
    }


@pytest.mark.parametrize("row", GATED, ids=lambda r: r.name)
def test_a_gated_rows_trigger_is_built_from_its_context_words(row):
    gate = row.gate
    assert gate is not None
    assert to_re2(gate.words) in row.trigger
    text = EXAMPLES[row.name]
    stripped = gate.compiled.sub(" ", text)
    # Without its context words the row finds nothing, and its trigger does not fire either:
    # the prefilter and the recognizer read the same words.
    assert list(row.find(stripped)) == []
    assert re2.search(row.trigger, stripped) is None


LEAD = [row for row in ROWS if row.lead is not None]


@pytest.mark.parametrize("row", LEAD, ids=lambda r: r.name)
def test_lead_words_are_written_once_for_pattern_and_trigger(row):
    assert row.lead is not None
    assert row.lead in row.compiled.pattern
    assert to_re2(row.lead) in row.trigger
    assert "{lead}" not in row.trigger and "{lead}" not in row.compiled.pattern


def test_unicode_spaces_between_context_words_do_not_hide_a_match():
    # Python's \s matches a no-break space, RE2's does not: the trigger must not be stricter
    # than the recognizer (before the words were translated, this number was never looked at).
    from steward.detectors.pii.national_ids import UK_NHS

    text = "national\u00a0health no. 943 476 5919"
    assert [(s.start, s.end) for s in UK_NHS.find(text)] == [(20, 32)]
    assert re2.search(UK_NHS.trigger, text) is not None
    found = PiiDetector([PiiType.UK_NATIONAL_HEALTH_SERVICE_NUMBER]).detect(
        text, DetectionRequest(source=Source.INPUT)
    )
    assert [f.match for f in found] == ["943 476 5919"]


def test_to_re2_leaves_escaped_backslashes_alone():
    assert to_re2(r"a\s+b") != r"a\s+b"
    assert to_re2(r"a\\s") == r"a\\s"


_WORDS = Context(r"\bcode\b", before=6, after=0)


def _toy(**changes: object) -> PatternRow:
    base: dict[str, object] = {
        "entity": PiiType.PIN,
        "name": "toy",
        "description": "A toy row of digits for testing how tiers are tried.",
        "pattern": r"(\d{4})(X?)",
        "shape": r"\d{4}",
        "group": 1,
        "validator": lambda v: v != "0000",
        "tiers": (
            Tier(0.9, checked=True, context=_WORDS),
            Tier(0.7, checked=True, when=lambda m: bool(m.group(2))),
            Tier(0.55),
        ),
    }
    base.update(changes)
    return PatternRow(**base)  # type: ignore[arg-type]


def test_the_first_tier_that_holds_decides():
    row = _toy()
    found = [(s.start, s.end, s.score, s.validated) for s in row.find("code 1234 5678X 0000X")]
    # 1234: checked and near "code"; 5678X: checked and marked; 0000X: fails the validator,
    # so only the unchecked tier is left.
    assert found == [(5, 9, 0.9, True), (10, 14, 0.7, True), (16, 20, 0.55, False)]


def test_keep_drops_a_candidate_before_any_tier():
    row = _toy(keep=lambda v: v != "1234")
    assert [s.start for s in row.find("code 1234 5678X")] == [10]


def test_a_candidate_no_tier_accepts_is_not_reported():
    row = _toy(tiers=(Tier(0.9, checked=True, context=_WORDS),))
    assert list(row.find("1234 and code 0000")) == []
    # Every tier needs the same words, so the trigger includes them.
    assert row.gate == _WORDS and "code" in row.trigger


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tiers": ()}, "has no tiers"),
        ({"validator": None}, "no validator"),
        ({"shape": r"{lead}\d"}, "no lead words"),
        ({"lead": "pin"}, "both pattern and shape"),
    ],
)
def test_a_malformed_row_is_refused_when_defined(changes, message):
    with pytest.raises(ValueError, match=message):
        _toy(**changes)
