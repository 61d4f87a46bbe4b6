"""The REVIEW action and review bands: what the policy accepts and what the guard decides."""

from __future__ import annotations

import pytest

from detector_fakes import FixedContent
from steward import Action, Guard, parse_policy
from steward.assessment import FindingAction
from steward.errors import PolicyError


def _banded(score: float, *, answer: str = "ORIGINAL", action: str = "BLOCK") -> Guard:
    policy = parse_policy(
        {
            "name": "t",
            "review_answer": answer,
            "content_filters": [
                {
                    "category": "HATE",
                    "input_strength": "MEDIUM",
                    "action": action,
                    "review_band": {"low": 0.4, "high": 0.6},
                }
            ],
        }
    )
    return Guard(policy, detectors=[FixedContent({"HATE": score})])


def test_a_score_inside_the_band_goes_to_review_and_the_caller_gets_the_original() -> None:
    result = _banded(0.5).apply("some text", "input")
    assert result.needs_review
    (finding,) = result.review_findings
    assert finding.action is FindingAction.NONE and finding.details["review_band"] == [0.4, 0.6]
    assert result.action is Action.NONE and result.output_text is None
    assert result.steward_extras()["review"] == {"required": True, "rules": ["content_filters[HATE]"]}
    assert "sent to review: contentPolicy HATE" in result.action_reason
    assert result.to_dict()["findings"][0]["review"] is True


def test_review_answer_blocked_blocks_while_the_item_waits() -> None:
    guard = _banded(0.5, answer="BLOCKED")
    result = guard.apply("some text", "input")
    assert result.needs_review and result.blocked
    assert result.output_text == guard.policy.blocked_input_message


@pytest.mark.parametrize("score", [0.2, 0.39])
def test_a_score_under_the_band_is_neither_reviewed_nor_reported(score: float) -> None:
    result = _banded(score).apply("some text", "input")
    assert not result.needs_review and not result.findings and result.action is Action.NONE


def test_a_score_over_the_band_still_blocks_without_review() -> None:
    result = _banded(0.9).apply("some text", "input")
    assert result.blocked and not result.needs_review


def test_without_a_band_nothing_goes_to_review() -> None:
    policy = parse_policy({"name": "t", "content_filters": [{"category": "HATE"}]})
    result = Guard(policy, detectors=[FixedContent({"HATE": 0.5})]).apply("x y", "input")
    assert not result.needs_review and not result.findings


def test_the_review_action_on_a_content_filter_reviews_what_reaches_its_strength() -> None:
    result = _banded(0.9, action="REVIEW").apply("some text", "input")
    assert result.needs_review and not result.blocked and result.action is Action.NONE


@pytest.mark.parametrize(
    "section",
    [
        {"denied_topics": [{"name": "x", "definition": "d", "action": "REVIEW"}]},
        {"word_filters": {"words": ["w"], "action": "REVIEW"}},
        {"sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]}},
        {"sensitive_information": {"regexes": [{"name": "r", "pattern": "ab+", "action": "REVIEW"}]}},
        {"contextual_grounding": {"grounding": {"threshold": 0.5, "action": "REVIEW"}}},
        {"content_filters": [{"category": "PROMPT_ATTACK", "action": "REVIEW"}]},
        {"languages": {"unsupported_action": "REVIEW"}},
    ],
)
def test_every_filter_accepts_review(section: dict[str, object]) -> None:
    policy = parse_policy({"name": "t", **section})
    assert "REVIEW" in str(policy.to_dict())


def test_a_word_filter_under_review_routes_its_matches() -> None:
    policy = parse_policy({"name": "t", "word_filters": {"words": ["grape"], "action": "REVIEW"}})
    result = Guard(policy).apply("I like grape juice", "input")
    assert result.needs_review and result.action is Action.NONE
    assert result.review_findings[0].rule == "word_filters.words"


def test_a_pii_entity_under_review_is_not_masked_with_the_original_answer() -> None:
    policy = parse_policy(
        {"name": "t", "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]}}
    )
    result = Guard(policy).apply("mail bob@example.com now", "input")
    assert result.needs_review and result.output_text is None


@pytest.mark.parametrize(
    ("band", "problem"),
    [
        ({"low": 0.6, "high": 0.4}, "must be under high"),
        ({"low": 0.5, "high": 0.5}, "must be under high"),
        ({"low": -0.1, "high": 0.5}, "greater than or equal to 0"),
        ({"low": 0.1, "high": 1.5}, "less than or equal to 1"),
        ({"low": 0.1}, "high"),
    ],
)
def test_bad_review_bands_are_refused_naming_the_field(band: dict[str, float], problem: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy({"name": "t", "content_filters": [{"category": "HATE", "review_band": band}]})
    assert "review_band" in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("review_answer", "MAYBE"),
        ("review", {"audit_sample_rate": 1.5}),
        ("review", {"consequential_sample_rate": -0.1}),
        ("review", {"retention_days": 0}),
        ("review", {"four_eyes": "SOMETIMES"}),
    ],
)
def test_bad_review_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy({"name": "t", field: value})
    assert field in str(err.value)


def test_the_review_settings_round_trip() -> None:
    policy = parse_policy(
        {"name": "t", "review_answer": "BLOCKED", "review": {"audit_sample_rate": 0.05, "four_eyes": True}}
    )
    again = parse_policy(policy.to_dict())
    assert again == policy and again.review.four_eyes.value == "ALWAYS"
    assert again.review.audit_sample_rate == 0.05
