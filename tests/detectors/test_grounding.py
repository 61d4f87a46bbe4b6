"""Contextual grounding and relevance on real answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steward.assessment import Finding, FindingAction, PolicyKind, Source
from steward.detectors import detector_classes
from steward.detectors.base import DetectionRequest
from steward.detectors.grounding import (
    GROUNDING_RULE,
    RELEVANCE_RULE,
    GroundingCalibration,
    GroundingDetector,
    query_names_subject,
)
from steward.errors import DetectorUnavailableError
from steward.guard import Guard
from steward.policy.io import load_policy
from steward.policy.schema import Policy
from steward.server.bedrock import bedrock_response

SOURCE = (
    "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. It is 330 metres tall "
    "and was designed by the engineering company of Gustave Eiffel. About seven million people "
    "visit it every year."
)
QUERY = "When was the Eiffel Tower finished and how tall is it?"
#: The default policy's thresholds.
GROUNDING_THRESHOLD = 0.7
RELEVANCE_THRESHOLD = 0.5


@pytest.fixture(scope="module")
def detector() -> GroundingDetector:
    return GroundingDetector()


def _check(detector: GroundingDetector, answer: str) -> dict[str, Finding]:
    request = DetectionRequest(source=Source.OUTPUT, grounding_source=SOURCE, query=QUERY)
    return {f.type: f for f in detector.detect(answer, request)}


def test_faithful_answer_is_grounded_and_relevant(detector: GroundingDetector) -> None:
    found = _check(detector, "The Eiffel Tower was finished in 1889 and is 330 metres tall.")
    grounding, relevance = found["GROUNDING"], found["RELEVANCE"]
    assert grounding.score >= GROUNDING_THRESHOLD
    assert relevance.score >= RELEVANCE_THRESHOLD
    assert grounding.policy is PolicyKind.CONTEXTUAL_GROUNDING
    assert grounding.rule == GROUNDING_RULE and relevance.rule == RELEVANCE_RULE


def test_faithful_paraphrase_passes(detector: GroundingDetector) -> None:
    answer = "Gustave Eiffel's engineering company designed the 330-metre tower, completed in 1889."
    assert _check(detector, answer)["GROUNDING"].score >= GROUNDING_THRESHOLD


def test_invented_number_is_flagged_and_named(detector: GroundingDetector) -> None:
    answer = "The Eiffel Tower was completed in 1925 and is 330 metres tall."
    grounding = _check(detector, answer)["GROUNDING"]
    assert grounding.score < GROUNDING_THRESHOLD
    weakest = grounding.details["least_supported"]
    assert weakest["unsupported_numbers"] == 1
    (support,) = detector.sentence_support(answer, SOURCE, QUERY)
    assert support.unsupported_numbers == ("1925",)
    assert (weakest["start"], weakest["end"]) == (0, len(answer))


def test_invented_entity_points_at_its_sentence(detector: GroundingDetector) -> None:
    first = "The tower was completed in 1889 and stands 330 metres tall."
    invented = "Its chief architect was Norman Foster."
    answer = f"{first} {invented}"
    grounding = _check(detector, answer)["GROUNDING"]
    assert grounding.score < GROUNDING_THRESHOLD
    weakest = grounding.details["least_supported"]
    assert answer[weakest["start"] : weakest["end"]] == invented
    assert weakest["unsupported_names"] == 2
    # The words themselves stay out of the finding (they come from the checked text).
    assert "Foster" not in str(grounding.to_dict()) and "foster" not in str(grounding.to_dict())
    assert 0.0 <= weakest["score"] < GROUNDING_THRESHOLD


def test_off_topic_answer_is_irrelevant(detector: GroundingDetector) -> None:
    found = _check(detector, "Bananas are an excellent source of potassium and fibre.")
    assert found["RELEVANCE"].score < RELEVANCE_THRESHOLD
    assert found["GROUNDING"].score < GROUNDING_THRESHOLD


def test_each_check_needs_its_input(detector: GroundingDetector) -> None:
    answer = "It was finished in 1889."
    only_query = detector.detect(answer, DetectionRequest(source=Source.OUTPUT, query=QUERY))
    assert [f.type for f in only_query] == ["RELEVANCE"]
    only_source = detector.detect(answer, DetectionRequest(source=Source.OUTPUT, grounding_source=SOURCE))
    assert [f.type for f in only_source] == ["GROUNDING"]
    assert detector.detect(answer, DetectionRequest(source=Source.OUTPUT)) == []


def test_scores_stay_in_range_for_odd_input(detector: GroundingDetector) -> None:
    for answer in ("", "...", "1889", "x" * 5000, "Paris " * 300):
        for finding in _check(detector, answer).values():
            assert 0.0 <= finding.score <= 1.0


def test_guard_blocks_ungrounded_output_with_default_policy() -> None:
    policy = load_policy("default")
    detector = GroundingDetector.from_policy(policy)
    assert detector is not None and detector.rules() == {GROUNDING_RULE, RELEVANCE_RULE}
    guard = Guard(policy, detectors=[detector])
    bad = guard.apply(
        "The Eiffel Tower was completed in 1925 and is 330 metres tall.",
        Source.OUTPUT,
        grounding_source=SOURCE,
        query=QUERY,
    )
    assert bad.blocked
    (blocked,) = [f for f in bad.findings if f.action is FindingAction.BLOCKED]
    assert blocked.type == "GROUNDING"
    assert (
        bedrock_response(bad)["assessments"][0]["contextualGroundingPolicy"]["filters"][0]["threshold"] == 0.7
    )
    good = guard.apply(
        "The Eiffel Tower was finished in 1889 and is 330 metres tall.",
        Source.OUTPUT,
        grounding_source=SOURCE,
        query=QUERY,
    )
    assert not good.blocked
    assert good.scores["GROUNDING"] >= GROUNDING_THRESHOLD
    # Grounding judges answers only: a prompt is never checked.
    assert not guard.apply("Bananas are yellow.", Source.INPUT, grounding_source=SOURCE, query=QUERY).findings


def test_registered_and_built_only_when_configured() -> None:
    assert GroundingDetector in detector_classes()
    assert GroundingDetector.from_policy(Policy(name="empty")) is None


def test_shipped_calibration_rewards_support() -> None:
    calibration = GroundingCalibration.load()
    supported = calibration.grounding((1.0, 0.0, 0.0, 0.0))
    assert supported > calibration.grounding((0.2, 0.0, 0.0, 0.0))
    # Every cue of an invented fact lowers the score: a number, a name, an added qualifier.
    assert supported > calibration.grounding((1.0, 0.5, 0.0, 0.0))
    assert supported > calibration.grounding((1.0, 0.0, 1 / 3, 0.0))
    assert supported > calibration.grounding((1.0, 0.0, 0.0, 1.0))
    assert calibration.relevance((0.8, 0.8, 1.0)) > calibration.relevance((0.0, 0.0, 0.0))


def test_calibration_for_other_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    old = {
        "grounding": {"weights": [1.0, 2.0, 3.0], "bias": 0.0},
        "relevance": {"weights": [1.0] * 3, "bias": 0},
    }
    path.write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(DetectorUnavailableError, match="do not match"):
        GroundingCalibration.load(path)


WHO = "Who designed the Eiffel Tower?"


def test_restating_the_question_is_neither_support_nor_novelty(detector: GroundingDetector) -> None:
    # Every content word of this answer is in the question: it adds nothing to check.
    (restated,) = detector.sentence_support("The Eiffel Tower was designed.", SOURCE, WHO)
    assert restated.word_support == 1.0 and restated.unsupported_words == ()
    # The same restatement plus an invented architect is judged on the architect alone: the
    # repeated words ("Eiffel Tower designed") do not carry it.
    invented = "The Eiffel Tower was designed by Norman Foster."
    (support,) = detector.sentence_support(invented, SOURCE, WHO)
    assert support.word_support == 0.0
    assert set(support.unsupported_words) == {"norman", "foster"}
    assert support.unsupported_names == ("foster", "norman")
    request = DetectionRequest(source=Source.OUTPUT, grounding_source=SOURCE, query=WHO)
    (grounding,) = [f for f in detector.detect(invented, request) if f.type == "GROUNDING"]
    assert grounding.score < GROUNDING_THRESHOLD


def test_faithful_answer_to_the_question_passes(detector: GroundingDetector) -> None:
    for answer in (
        "The Eiffel Tower was designed by the engineering company of Gustave Eiffel.",
        "Gustave Eiffel's engineering company designed it.",
        "Gustave Eiffel",
    ):
        request = DetectionRequest(source=Source.OUTPUT, grounding_source=SOURCE, query=WHO)
        (grounding,) = [f for f in detector.detect(answer, request) if f.type == "GROUNDING"]
        assert grounding.score >= GROUNDING_THRESHOLD, answer


def test_added_negation_or_hedge_is_named_and_lowers_the_score(detector: GroundingDetector) -> None:
    plain = "The Eiffel Tower was completed in 1889."
    (base,) = detector.sentence_support(plain, SOURCE, QUERY)
    for answer, family in (
        ("The Eiffel Tower was not completed in 1889.", "negation"),
        ("The Eiffel Tower wasn't completed in 1889.", "negation"),
        ("The Eiffel Tower was probably completed in 1889.", "hedge"),
        ("Only the Eiffel Tower was completed in 1889.", "only"),
    ):
        (support,) = detector.sentence_support(answer, SOURCE, QUERY)
        assert support.unsupported_qualifiers == (family,), answer
        assert support.score < base.score, answer
    # A qualifier the source itself makes is supported.
    source = f"{SOURCE} The tower was not painted gold."
    (support,) = detector.sentence_support("The tower was not painted gold.", source, QUERY)
    assert support.unsupported_qualifiers == ()


def test_trace_names_the_restated_sentence_that_invents(detector: GroundingDetector) -> None:
    faithful = "The Eiffel Tower was designed by the engineering company of Gustave Eiffel."
    invented = "The Eiffel Tower was designed in London in 1925."
    answer = f"{faithful} {invented}"
    request = DetectionRequest(source=Source.OUTPUT, grounding_source=SOURCE, query=WHO)
    (grounding,) = [f for f in detector.detect(answer, request) if f.type == "GROUNDING"]
    weakest = grounding.details["least_supported"]
    assert answer[weakest["start"] : weakest["end"]] == invented
    assert weakest["unsupported_numbers"] == 1 and weakest["unsupported_names"] == 1
    assert grounding.score < GROUNDING_THRESHOLD
    # The faithful sentence needs no embedding: all its new words are in the source.
    first, _ = detector.sentence_support(answer, SOURCE, WHO)
    assert first.similarity is None and first.word_support == 1.0


def test_plural_and_hyphenated_units_match(detector: GroundingDetector) -> None:
    (support,) = detector.sentence_support("It is a 330-metre tower.", SOURCE, QUERY)
    assert support.unsupported_words == ()


def test_works_with_sockets_disabled(no_sockets: None) -> None:
    found = _check(GroundingDetector(), "The tower is 330 metres tall.")
    assert set(found) == {"GROUNDING", "RELEVANCE"}


# -- Answers to task instructions: summaries and replies (issue 14) ---------------------------

ARTICLE = (
    "The city council of Riverton voted on Tuesday to build a new public library on the site of "
    "the old bus depot. The project will cost 12 million dollars and is expected to open in 2027. "
    "Mayor Helen Ortiz said the library would include a children's wing, a maker space and a cafe. "
    "Opponents argued that the money should go to road repairs instead. The council approved the "
    "plan by seven votes to two."
)
POLICY_TEXT = (
    "Orders placed before 2 pm ship the same day. Standard delivery takes three to five working "
    "days; express delivery arrives the next working day for 9 euros. Customers can return unused "
    "items within 30 days for a full refund, and the return label is free."
)
#: Faithful answers, in other words than their source's, each with its source and a task
#: instruction that names no subject.
FAITHFUL = [
    (
        ARTICLE,
        "Summarize the following article.",
        "Riverton's council approved a new public library where the old bus depot stands. It will "
        "cost 12 million dollars and should open in 2027. Critics wanted the money spent on roads, "
        "but the plan passed by seven votes to two.",
    ),
    (
        ARTICLE,
        "TL;DR",
        "Riverton will get a new library with a children's wing, a maker space and a cafe, opening in 2027.",
    ),
    (
        ARTICLE,
        "What does this say?",
        "It says the council backed a 12 million dollar library on the former bus depot site, "
        "despite opponents who preferred road repairs.",
    ),
    (
        POLICY_TEXT,
        "Reply to the customer.",
        "Thanks for your message! Orders placed before 2 pm ship the same day, and standard "
        "delivery takes three to five working days. If you change your mind, you can return "
        "unused items within 30 days for a full refund; the return label is free.",
    ),
    (
        POLICY_TEXT,
        "Draft a reply to this email.",
        "Sorry for the wait. Express delivery gets your order to you the next working day for 9 euros.",
    ),
]
#: Unfaithful answers to the same instructions: a changed number, a swapped name, an
#: invented detail, an off-topic reply.
UNFAITHFUL = [
    (
        ARTICLE,
        "Summarize the following article.",
        "The new library will cost 15 million dollars and open in 2027.",
    ),
    (
        ARTICLE,
        "Summarize the following article.",
        "Mayor Laura Chen said the library would include a children's wing.",
    ),
    (POLICY_TEXT, "Reply to the customer.", "Returns are accepted within 90 days for a full refund."),
    (
        POLICY_TEXT,
        "Reply to the customer.",
        "Our chef recommends the mushroom risotto with a glass of red wine.",
    ),
]


def _pack_thresholds() -> tuple[float, float]:
    section = load_policy("default").contextual_grounding
    assert section is not None and section.grounding is not None and section.relevance is not None
    return section.grounding.threshold, section.relevance.threshold


@pytest.mark.parametrize(("source", "query", "answer"), FAITHFUL)
def test_faithful_summaries_and_replies_pass_the_default_pack(
    detector: GroundingDetector, source: str, query: str, answer: str
) -> None:
    grounding_min, relevance_min = _pack_thresholds()
    for asked in (query, None):  # the query is optional
        request = DetectionRequest(source=Source.OUTPUT, grounding_source=source, query=asked)
        found = {f.type: f for f in detector.detect(answer, request)}
        assert found["GROUNDING"].score >= grounding_min, (asked, found["GROUNDING"].details)
        if asked is None:
            assert "RELEVANCE" not in found
        else:
            assert found["RELEVANCE"].score >= relevance_min, found["RELEVANCE"].details


@pytest.mark.parametrize(("source", "query", "answer"), UNFAITHFUL)
def test_unfaithful_summaries_and_replies_are_still_caught(
    detector: GroundingDetector, source: str, query: str, answer: str
) -> None:
    grounding_min, relevance_min = _pack_thresholds()
    request = DetectionRequest(source=Source.OUTPUT, grounding_source=source, query=query)
    found = {f.type: f.score for f in detector.detect(answer, request)}
    assert found["GROUNDING"] < grounding_min or found["RELEVANCE"] < relevance_min, found


def test_off_topic_reply_is_irrelevant_to_both_query_and_source(detector: GroundingDetector) -> None:
    off_topic = UNFAITHFUL[-1][2]
    request = DetectionRequest(
        source=Source.OUTPUT, grounding_source=POLICY_TEXT, query="Reply to the customer."
    )
    (relevance,) = [f for f in detector.detect(off_topic, request) if f.type == "RELEVANCE"]
    assert relevance.score < _pack_thresholds()[1]
    assert relevance.details["judged_against"] == "source"


def test_a_task_instruction_names_no_subject() -> None:
    for generic in (
        "Summarize the following article.",
        "Reply to the customer.",
        "Tell me more.",
        "TL;DR",
        "What does this say?",
    ):
        assert not query_names_subject(generic), generic
    for specific in (
        QUERY,
        WHO,
        "What happened in 1889?",
        "Summarize the article about the Riverton library.",
    ):
        assert query_names_subject(specific), specific


def test_relevance_is_judged_against_the_source_when_the_query_names_no_subject(
    detector: GroundingDetector,
) -> None:
    answer = FAITHFUL[0][2]
    judged = detector.relevance_judgement(answer, "Summarize the following article.", ARTICLE)
    assert judged.against == "source" and judged.score >= _pack_thresholds()[1]
    assert judged.span is not None
    # Without a source, a query of task words alone cannot make an answer off-topic...
    alone = detector.relevance_judgement(answer, "Summarize the following article.")
    assert (alone.against, alone.score) == ("none", 1.0)
    # ...but one that names a subject still can, and the better of query and source counts.
    assert detector.relevance_judgement(answer, "How tall is the Eiffel Tower?").score < _pack_thresholds()[1]
    both = detector.relevance_judgement(answer, "How tall is the Eiffel Tower?", ARTICLE)
    assert both.against == "source" and both.score >= _pack_thresholds()[1]
    # An answer without a content word has no subject to be off: "Yes." to a yes/no question.
    yes = detector.relevance_judgement("Yes.", "Is the Eiffel Tower in Paris?")
    assert (yes.against, yes.score) == ("none", 1.0)
    assert detector.relevance_judgement("", "Is the Eiffel Tower in Paris?").score == 0.0


def test_number_words_meet_digits_and_contractions_are_not_names(detector: GroundingDetector) -> None:
    (support,) = detector.sentence_support(
        "I'm told a six foot blonde sat at the bar for eleven years.",
        "A 6 foot blonde sat at the bar. She had been there 11 years.",
    )
    assert support.unsupported_numbers == () and support.unsupported_names == ()
