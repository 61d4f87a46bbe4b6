"""The policy flattened into rules: one entry per thing a finding can point at.

Detectors tag each finding with a ``rule`` key (see :func:`rule_key`); the guard looks
the key up here, for the direction being checked, to learn whether the rule is on and
what it does. Keeping this mapping in one place means detectors never re-implement
per-direction actions, strengths or thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from steward.assessment import Source
from steward.policy.schema import Policy, ReviewBand, Strength, UnsupportedLanguageAction

__all__ = ["RuleSetting", "rule_key", "rule_settings"]


def rule_key(section: str, name: str | None = None) -> str:
    """The canonical key of a policy entry, e.g. ``sensitive_information.pii_entities[EMAIL]``."""
    return f"{section}[{name}]" if name is not None else section


@dataclass(frozen=True, slots=True)
class RuleSetting:
    """What one rule does in one direction."""

    #: ``BLOCK``, ``ANONYMIZE``, ``REVIEW`` (send to a person) or ``NONE`` (detect and report only).
    action: str
    #: Content filters only: how eagerly the filter acts.
    strength: Strength | None = None
    #: Grounding and relevance only: the score under which the rule acts.
    threshold: float | None = None
    #: Content filters only: scores that go to human review whatever the strength says.
    review_band: ReviewBand | None = None


def rule_settings(policy: Policy, source: Source) -> dict[str, RuleSetting]:
    """Every rule of ``policy`` that is enabled for ``source``, keyed by :func:`rule_key`."""
    inp = source is Source.INPUT
    rules: dict[str, RuleSetting] = {}
    for cf in policy.content_filters:
        enabled = cf.input_enabled if inp else cf.output_enabled
        strength = cf.input_strength if inp else cf.output_strength
        if enabled and strength is not Strength.NONE:
            action = cf.input_action if inp else cf.output_action
            rules[rule_key("content_filters", cf.category.value)] = RuleSetting(
                action.value, strength=strength, review_band=cf.review_band
            )
    for topic in policy.denied_topics:
        if topic.input_enabled if inp else topic.output_enabled:
            action = topic.input_action if inp else topic.output_action
            rules[rule_key("denied_topics", topic.name)] = RuleSetting(action.value)
    words = policy.word_filters
    if words is not None and (words.input_enabled if inp else words.output_enabled):
        word_action = (words.input_action if inp else words.output_action).value
        if words.words:
            rules[rule_key("word_filters.words")] = RuleSetting(word_action)
        for managed in words.managed_lists:
            rules[rule_key("word_filters.managed_lists", managed)] = RuleSetting(word_action)
    sens = policy.sensitive_information
    if sens is not None:
        for entity in sens.pii_entities:
            if entity.input_enabled if inp else entity.output_enabled:
                pii_action = (entity.input_action if inp else entity.output_action).value
                rules[rule_key("sensitive_information.pii_entities", entity.type.value)] = RuleSetting(
                    pii_action
                )
        for regex in sens.regexes:
            if regex.input_enabled if inp else regex.output_enabled:
                regex_action = (regex.input_action if inp else regex.output_action).value
                rules[rule_key("sensitive_information.regexes", regex.name)] = RuleSetting(regex_action)
    languages = policy.languages
    if languages is not None and languages.unsupported_action is not UnsupportedLanguageAction.ALLOW:
        # REVIEW queues the text for a person; the caller is answered as ``review_answer`` says.
        block = languages.unsupported_action is UnsupportedLanguageAction.BLOCK
        rules[rule_key("languages")] = RuleSetting("BLOCK" if block else "REVIEW")
    grounding = policy.contextual_grounding
    # Grounding and relevance judge a model's answer, so they apply to output only, as in Bedrock.
    if grounding is not None and not inp:
        for kind, filt in (("grounding", grounding.grounding), ("relevance", grounding.relevance)):
            if filt is not None and filt.enabled:
                rules[rule_key(f"contextual_grounding.{kind}")] = RuleSetting(
                    filt.action.value, threshold=filt.threshold
                )
    return rules
