from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward import Guard
from steward.assessment import FindingAction, PolicyKind, Source
from steward.detectors import detector_classes
from steward.detectors.base import DetectionRequest
from steward.detectors.pii import PiiDetector, recognizer_classes
from steward.errors import DetectorUnavailableError
from steward.policy import load_policy, parse_policy
from steward.policy.schema import PiiType
from steward.rules import RuleSetting, rule_key

E = PiiType
REQUEST = DetectionRequest(source=Source.INPUT)


class FixedNames:
    """A stand-in name model: every occurrence of the given names."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find(self, text: str) -> list[tuple[int, int, float]]:
        out = []
        for name in self.names:
            start = text.find(name)
            while start >= 0:
                out.append((start, start + len(name), 0.9))
                start = text.find(name, start + 1)
        return out


def test_every_pii_type_has_a_recognizer():
    assert {cls.entity for cls in recognizer_classes()} == set(PiiType)
    assert len({cls.name for cls in recognizer_classes()}) == len(recognizer_classes())


def test_registered_with_the_guard():
    assert PiiDetector in detector_classes()


def test_from_policy_reads_pii_entities():
    policy = parse_policy(
        {"name": "p", "sensitive_information": {"pii_entities": [{"type": "EMAIL"}, {"type": "PIN"}]}}
    )
    detector = PiiDetector.from_policy(policy)
    assert detector is not None
    assert detector.rules() == {
        rule_key("sensitive_information.pii_entities", "EMAIL"),
        rule_key("sensitive_information.pii_entities", "PIN"),
    }
    assert PiiDetector.from_policy(parse_policy({"name": "none"})) is None


def test_findings_carry_type_offsets_score_and_details():
    text = "Card 4111 1111 1111 1111, mail bob@example.com"
    findings = PiiDetector([E.CREDIT_DEBIT_CARD_NUMBER, E.EMAIL]).detect(text, REQUEST)
    by_type = {f.type: f for f in findings}
    card = by_type["CREDIT_DEBIT_CARD_NUMBER"]
    assert (card.start, card.end, card.match) == (5, 24, "4111 1111 1111 1111")
    assert card.detector == "pii"
    assert card.policy is PolicyKind.SENSITIVE_INFORMATION
    assert card.rule == rule_key("sensitive_information.pii_entities", "CREDIT_DEBIT_CARD_NUMBER")
    assert card.details == {"recognizer": "credit_card", "validated": True}
    assert card.score == pytest.approx(1.0)
    email = by_type["EMAIL"]
    assert text[email.start : email.end] == "bob@example.com"
    assert 0.0 < email.score <= 1.0


def test_only_rules_enabled_for_the_request_run():
    text = "mail bob@example.com or call (212) 555-0143"
    detector = PiiDetector([E.EMAIL, E.PHONE])
    only_phone = DetectionRequest(
        source=Source.OUTPUT,
        rules={rule_key("sensitive_information.pii_entities", "PHONE"): RuleSetting("ANONYMIZE")},
    )
    assert [f.type for f in detector.detect(text, only_phone)] == ["PHONE"]


def test_context_scores_are_lower_than_checksums():
    text = "SSN 123-45-6789; my PIN is 4821"
    scores = {
        f.type: f.score for f in PiiDetector([E.US_SOCIAL_SECURITY_NUMBER, E.PIN]).detect(text, REQUEST)
    }
    assert scores["US_SOCIAL_SECURITY_NUMBER"] > scores["PIN"] >= 0.5


def test_email_inside_url_both_reported_and_masked_cleanly():
    text = "See https://example.com/contact?to=jane@example.org now"
    findings = PiiDetector([E.EMAIL, E.URL]).detect(text, REQUEST)
    spans = {(f.type, f.match) for f in findings}
    assert spans == {
        ("URL", "https://example.com/contact?to=jane@example.org"),
        ("EMAIL", "jane@example.org"),
    }
    policy = parse_policy(
        {"name": "p", "sensitive_information": {"pii_entities": [{"type": "EMAIL"}, {"type": "URL"}]}}
    )
    out = Guard(policy, detectors=[PiiDetector([E.EMAIL, E.URL])]).apply(text).output_text
    assert out is not None and "jane@" not in out and out.startswith("See {") and out.endswith("} now")


def test_unicode_offsets_are_character_offsets():
    text = "Zoë 👋🏽 schreibt: straße — IBAN DE89370400440532013000, 電話 +44 20 7946 0958"
    findings = PiiDetector([E.INTERNATIONAL_BANK_ACCOUNT_NUMBER, E.PHONE]).detect(text, REQUEST)
    got = {f.type: text[f.start : f.end] for f in findings}
    assert got == {"INTERNATIONAL_BANK_ACCOUNT_NUMBER": "DE89370400440532013000", "PHONE": "+44 20 7946 0958"}


def test_pii_mask_pack_masks_through_the_guard():
    guard = Guard(load_policy("pii-mask"))
    text = "Email ann@example.com, card 4111 1111 1111 1111, IP 10.0.0.7, SSN 123-45-6789."
    result = guard.apply(text, "input")
    assert result.output_text == (
        "Email {EMAIL}, card {CREDIT_DEBIT_CARD_NUMBER}, IP {IP_ADDRESS}, SSN {US_SOCIAL_SECURITY_NUMBER}."
    )
    assert all(f.action is FindingAction.ANONYMIZED for f in result.findings)


def test_pii_mask_pack_blocks_aws_keys():
    result = Guard(load_policy("pii-mask")).apply("creds AKIAIOSFODNN7EXAMPLE", "output")
    assert result.blocked


def test_name_model_is_pluggable():
    text = "Ask Ada Lovelace about it"
    findings = PiiDetector([E.NAME], name_model=FixedNames("Ada Lovelace")).detect(text, REQUEST)
    assert [(f.match, f.details["recognizer"]) for f in findings] == [("Ada Lovelace", "name_model")]


def test_request_verbs_are_trimmed_from_model_names():
    # The small model reads "Email" in "Email me at ..." as a first name.
    text = "Email me at the desk. Email Sarah Connor the report."
    model = FixedNames("Email", "Email Sarah Connor")
    findings = PiiDetector([E.NAME], name_model=model).detect(text, REQUEST)
    assert [f.match for f in findings] == ["Sarah Connor"]


@pytest.mark.slow  # loads spaCy's model unless an earlier test did
def test_spacy_names_remain_available_as_a_model_offline(no_sockets):
    from steward.detectors.pii import SpacyNameModel

    detector = PiiDetector([E.NAME], name_model=SpacyNameModel())
    text = "Yesterday Barack Obama met Angela Merkel in Berlin to discuss trade."
    names = [f.match for f in detector.detect(text, REQUEST)]
    assert names == ["Barack Obama", "Angela Merkel"]
    assert detector.detect("all lowercase text has no names", REQUEST) == []


def test_missing_spacy_package_is_a_clear_error_when_the_model_is_built():
    from steward.detectors.pii import names

    with pytest.raises(DetectorUnavailableError, match="no_such_spacy_model.*pip install"):
        names.SpacyNameModel("no_such_spacy_model")


def test_missing_name_tagger_files_are_a_clear_error_when_the_policy_is_built(monkeypatch, tmp_path):
    from steward.detectors.pii import name_tagger

    monkeypatch.setattr(name_tagger.NameTagger.__init__, "__defaults__", (tmp_path,))
    with pytest.raises(DetectorUnavailableError, match="NAME tagger"):
        PiiDetector([E.NAME])
    assert PiiDetector([E.EMAIL]).entities == {E.EMAIL}  # other types need no model


def test_many_overlapping_findings_stay_linear():
    text = "Suite 1 " * 5000  # every unit line overlaps the next ones
    findings = PiiDetector([E.ADDRESS]).detect(text, REQUEST)
    assert all(f.match.startswith("Suite 1") for f in findings)
    covered = {i for f in findings for i in range(f.start, f.end)}
    assert all(i in covered for i in range(0, len(text), 8))  # every unit line is inside a finding


def test_large_input_finishes():
    chunk = (
        "Dear team, the invoice for order 48213 is attached. Contact ann@example.com or (212) 555-0143. "
        "Ship to 24 Clarke Avenue, Springfield, IL 62704. Version 2.4.1 fixed the sync issue. "
    )
    text = (chunk * (200_000 // len(chunk) + 1))[:200_000]
    detector = PiiDetector([t for t in PiiType if t is not E.NAME])
    started = time.perf_counter()
    findings = detector.detect(text, REQUEST)
    elapsed = time.perf_counter() - started
    assert sum(f.type == "EMAIL" for f in findings) == text.count("ann@example.com")
    assert elapsed < 30  # a generous bound: this is a does-it-finish check, not a benchmark


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("My name is Siiri", "Siiri"),
        ("Name: Ana Lúcia Silva\nPhone: 555", "Ana Lúcia Silva"),
        ("Please ask Dr. Kónya about it", "Kónya"),
        ("Kind regards,\nTomomi Nishiyama", "Tomomi Nishiyama"),
    ],
)
def test_names_after_cue_words_without_the_model(text, value):
    findings = PiiDetector([E.NAME], name_model=FixedNames()).detect(text, REQUEST)
    assert [(f.match, f.details["recognizer"]) for f in findings] == [(value, "name_cue")]
    assert text[findings[0].start : findings[0].end] == value


def test_name_cues_need_a_capitalised_name():
    detector = PiiDetector([E.NAME], name_model=FixedNames())
    assert detector.detect("the file is named after the project, my name is not important", REQUEST) == []


def test_billing_address_cue_does_not_take_the_name_line():
    text = "Billing address: Sara Schwarz\n    28245 Puruntie 12\n    Helsinki"
    findings = PiiDetector([E.ADDRESS]).detect(text, REQUEST)
    assert all("Sara" not in f.match for f in findings)


TRIGGER_SAMPLES = [
    "Ship it to 24 Clarke Avenue, Springfield, IL 62704 please",
    "The bus station is on Vesterskovvej 79",
    "Meet me at Via Roma 131, Milano",
    "Send it to P.O. Box 1234 or unit 1009 box 0219\ndpo ap 51065",
    "USNS Møller\nFPO AA 85844",
    "We moved to 33 avenue de Provence, Paris",
    "Jane Roe\n30102 Kaevu 94\nNicosia\n, NI\n 61089",
    "Αποστολή: Οδός Ερμού 12, Αθήνα",
    "The bus station is on Villacher Strasse 89",
    "Card 4111 1111 1111 1111 exp 09/27 CVV: 123, amex 3782 822463 10005",
    "IBAN GB82 WEST 1234 5698 7654 32, SWIFT DEUTDEFF",
    "Routing number 011000015, checking account number: 000123456789, PIN is 4821",
    "SSN 123-45-6789, ITIN 912-70-1234, passport no. 340020013",
    "NHS number 943 476 5919, NI number AB 12 34 56 C, UTR: 1955839661",
    "SIN 130 692 544, BC personal health number 9698 658 215",
    "My driver's license number is F162823540116; license plate: 7ABC123",
    "Car 1HGCM82633A004352 sold; VIN: WVWZZZ1JZXW000001",
    "username: jdoe42, password: hunter2, aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "key AKIAIOSFODNN7EXAMPLE; mail jane@example.com; https://example.com/x",
    "Call me on (212) 555-0143 or +44 20 7946 0958; Can someone call me on 01.84.17.61.18?",
    "eth0 00:1A:2B:3C:4D:5E at 192.168.1.20 and 2001:db8::ff00:42:8329",
    "I am 34 years old; Age: 41; he just turned 30",
    "My name is Siiri; Dr. Kónya will see you",
]


@pytest.mark.parametrize(
    "text",
    # As written, and with every space a tab or a no-break space (tab-separated files, text
    # pasted from tables or web pages):
    # a trigger that allows only spaces where its recognizer allows any blank hid "12\tMain
    # Street" from the address recognizer.
    [
        *TRIGGER_SAMPLES,
        *(t.replace(" ", "\t") for t in TRIGGER_SAMPLES),
        *(t.replace(" ", "\u00a0") for t in TRIGGER_SAMPLES),
        "We moved to 33bis rue de Provence, Paris",
    ],
)
def test_a_trigger_never_hides_a_match(text):
    import re2

    from steward.detectors.pii.names import NameRecognizer

    for cls in recognizer_classes():
        recognizer = NameRecognizer(FixedNames()) if cls is NameRecognizer else cls()
        if list(recognizer.find(text)):
            assert re2.search(recognizer.trigger, text) is not None, cls.name


def test_unpaired_surrogates_do_not_break_the_detector():
    text = "bad \ud800 byte, mail bob@example.com"
    findings = PiiDetector([E.EMAIL, E.ADDRESS]).detect(text, REQUEST)
    assert [(f.match, text[f.start : f.end]) for f in findings] == [("bob@example.com", "bob@example.com")]


_PIECES = [
    *"0123456789٣０ -./:()+@#,\n",
    "IBAN GB82 ",
    "card ",
    "SSN ",
    "phone ",
    "Apt ",
    " Street",
    "Via ",
    "AKIA",
    "password: ",
    "years old",
    "http://",
    "漢",
    "😀",
]


_PATTERNS_ONLY = PiiDetector([t for t in PiiType if t is not E.NAME])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=80))
def test_any_text_gives_consistent_offsets(pieces):
    text = "".join(pieces)
    for f in _PATTERNS_ONLY.detect(text, REQUEST):
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.match
        assert 0.5 <= f.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "We use a tool called Jenkins",
        "File name: Report.pdf",
        "Company name: Acme Corp",
        "A song named Yesterday",
    ],
)
def test_cues_that_name_things_are_not_name_cues(text):
    assert PiiDetector([E.NAME], name_model=FixedNames()).detect(text, REQUEST) == []
