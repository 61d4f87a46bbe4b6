"""The guard imports only the detector kinds a policy can use (:func:`detector_classes`)."""

from __future__ import annotations

from typing import Any

import pytest

from steward.detectors import detector_classes
from steward.detectors.content import ContentDetector
from steward.detectors.grounding import GroundingDetector
from steward.detectors.topics import TopicDetector
from steward.detectors.words import WordsDetector
from steward.policy import load_policy
from steward.policy.schema import Policy

#: Each section a kind may be left out for, in the form that leaves it out.
EMPTY: dict[str, Any] = {
    "content_filters": [],
    "denied_topics": [],
    "word_filters": None,
    "contextual_grounding": None,
}


def _variants() -> list[Policy]:
    """The packs, each with every one of those sections emptied, and with all of them emptied."""
    out = []
    for pack in ("default", "strict"):
        policy = load_policy(pack)
        out.append(policy)
        out.extend(policy.model_copy(update={field: value}) for field, value in EMPTY.items())
        out.append(policy.model_copy(update=EMPTY))
    return out


@pytest.mark.parametrize("policy", _variants())
def test_a_kind_left_out_for_a_policy_would_build_nothing_from_it(policy: Policy) -> None:
    listed = detector_classes(policy)
    assert listed == [cls for cls in detector_classes() if cls in listed]  # same order
    for cls in detector_classes():
        if cls not in listed:
            assert cls.from_policy(policy) is None


def test_a_policy_without_learned_sections_lists_none_of_their_kinds() -> None:
    policy = load_policy("default").model_copy(update=EMPTY)
    listed = set(detector_classes(policy))
    assert not listed & {ContentDetector, GroundingDetector, TopicDetector, WordsDetector}
