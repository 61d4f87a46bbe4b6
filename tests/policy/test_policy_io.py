from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steward.errors import PolicyError, PolicyNotFoundError
from steward.policy import dump_policy, list_packs, load_policy, parse_policy, parse_policy_text
from steward.policy.schema import ContentCategory, PiiAction, Strength


def test_every_pack_loads_and_round_trips() -> None:
    assert {"default", "pii-mask", "strict"} <= set(list_packs())
    for name in list_packs():
        policy = load_policy(name)
        again = parse_policy_text(dump_policy(policy))
        assert again == policy
        assert parse_policy(json.loads(dump_policy(policy, fmt="json"))) == policy


def test_default_pack_covers_the_acceptable_use_rules() -> None:
    policy = load_policy("default")
    topics = {t.name for t in policy.denied_topics}
    assert {
        "Disinformation",
        "Privacy violation",
        "Impersonation",
        "Harassment",
        "Circumventing safety",
        "Autonomous weapons",
    } <= topics
    categories = {f.category for f in policy.content_filters}
    assert set(ContentCategory) <= categories
    # Child safety is the trained filter at its most sensitive strength both ways, not a
    # second, looser denied topic (which blocked protective parenting questions).
    child = next(f for f in policy.content_filters if f.category is ContentCategory.CHILD_SAFETY)
    assert (child.input_strength, child.output_strength) == (Strength.HIGH, Strength.HIGH)
    assert "Harm to minors" not in topics
    assert policy.sensitive_information is not None
    assert len(policy.sensitive_information.pii_entities) >= 10


def test_pii_mask_pack_names_all_31_types() -> None:
    policy = load_policy("pii-mask")
    assert policy.sensitive_information is not None
    assert len(policy.sensitive_information.pii_entities) == 31


def test_action_shorthand_sets_both_directions() -> None:
    policy = parse_policy(
        {"name": "p", "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "BLOCK"}]}}
    )
    assert policy.sensitive_information is not None
    entity = policy.sensitive_information.pii_entities[0]
    assert entity.input_action is PiiAction.BLOCK and entity.output_action is PiiAction.BLOCK


def test_every_problem_is_reported_with_its_field_path() -> None:
    bad = {
        "name": "has spaces!",
        "content_filters": [{"category": "HATE", "input_strenght": "HIGH"}, {"category": "NOPE"}],
        "denied_topics": [{"name": "t", "definition": "d", "examples": ["a"] * 6}],
        "word_filters": {"words": ["x" * 101]},
    }
    with pytest.raises(PolicyError) as info:
        parse_policy(bad)
    paths = {path for path, _ in info.value.problems}
    assert "name" in paths
    assert "content_filters[0].input_strenght" in paths
    assert "content_filters[1].category" in paths
    assert "denied_topics[0].examples" in paths
    assert "word_filters.words" in paths
    assert "unknown field" in str(info.value)


def test_limits_are_enforced() -> None:
    with pytest.raises(PolicyError, match="word_filters.words"):
        parse_policy({"name": "p", "word_filters": {"words": ["w"] * 10_001}})
    assert parse_policy({"name": "p", "word_filters": {"words": [f"w{i}" for i in range(10_000)]}})
    with pytest.raises(PolicyError, match="denied_topics"):
        parse_policy(
            {"name": "p", "denied_topics": [{"name": f"t{i}", "definition": "d"} for i in range(31)]}
        )
    with pytest.raises(PolicyError, match="blocked_input_message"):
        parse_policy({"name": "p", "blocked_input_message": "x" * 501})


def test_topic_exceptions_are_checked_and_round_trip() -> None:
    def topic(exceptions: list[str]) -> dict[str, Any]:
        return {"name": "p", "denied_topics": [{"name": "t", "definition": "d", "exceptions": exceptions}]}

    policy = parse_policy(topic(["How do bonds work?"]))
    assert policy.denied_topics[0].exceptions == ["How do bonds work?"]
    assert parse_policy(policy.to_dict()) == policy
    assert (
        parse_policy({"name": "p", "denied_topics": [{"name": "t", "definition": "d"}]})
        .denied_topics[0]
        .exceptions
        == []
    )  # optional
    for bad, message in (
        (["   "], "exception 0 is empty"),
        (["ok", "x" * 301], "exception 1 is 301 characters, over 300"),
        (["e"] * 11, "at most 10 items"),
    ):
        with pytest.raises(PolicyError, match="denied_topics\\[0\\].exceptions") as info:
            parse_policy(topic(bad))
        assert message in str(info.value)


def test_duplicates_are_refused() -> None:
    with pytest.raises(PolicyError, match="listed twice"):
        parse_policy({"name": "p", "content_filters": [{"category": "HATE"}, {"category": "HATE"}]})
    with pytest.raises(PolicyError, match="repeated"):
        parse_policy(
            {
                "name": "p",
                "sensitive_information": {
                    "regexes": [{"name": "a", "pattern": "x"}, {"name": "a", "pattern": "y"}]
                },
            }
        )


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?<=a)b", r"(?=x)", "a{1000}{1000}", "x*"])
def test_unsafe_or_useless_regexes_are_refused(pattern: str) -> None:
    with pytest.raises(PolicyError, match=r"regexes\[0\]\.pattern"):
        parse_policy({"name": "p", "sensitive_information": {"regexes": [{"name": "r", "pattern": pattern}]}})


def test_strength_values_are_checked() -> None:
    with pytest.raises(PolicyError, match="input_strength"):
        parse_policy({"name": "p", "content_filters": [{"category": "HATE", "input_strength": "EXTREME"}]})
    p = parse_policy({"name": "p", "content_filters": [{"category": "HATE", "input_strength": "LOW"}]})
    assert p.content_filters[0].input_strength is Strength.LOW


def test_bad_documents(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy_text("name: [unclosed")
    with pytest.raises(PolicyError, match="must be a mapping"):
        parse_policy_text("- a\n- b\n")
    f = tmp_path / "p.yaml"
    f.write_bytes(b"name: \xff\xfe")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(f)
    with pytest.raises(PolicyNotFoundError, match="no policy file or pack"):
        load_policy("no-such-pack")
    with pytest.raises(PolicyNotFoundError, match="does not exist"):
        load_policy(tmp_path / "missing.yaml")
