from __future__ import annotations

import pytest
from govern_builders import system_doc

from steward.errors import InputError
from steward.govern._validation import load_yaml_text, parse_model
from steward.govern.inventory import AISystem, Lifecycle, parse_status


def test_a_complete_record_validates_and_knows_it_is_consequential() -> None:
    system = parse_model(AISystem, system_doc(), origin="credit.yaml")
    assert system.consequential
    assert system.status is Lifecycle.DEVELOPMENT
    low = parse_model(AISystem, system_doc(consequential_domains=[], eu_ai_act_tier="limited"), origin="x")
    assert not low.consequential


def test_a_high_risk_tier_counts_as_consequential_without_domains() -> None:
    assert parse_model(AISystem, system_doc(consequential_domains=[]), origin="x").consequential


def test_every_problem_is_reported_with_its_field() -> None:
    doc = system_doc(
        human_oversight="sometimes", languages=["English"], stakeholders=[{"name": "x", "kind": "alien"}]
    )
    del doc["owner"]
    doc["colour"] = "blue"
    with pytest.raises(InputError) as info:
        parse_model(AISystem, doc, origin="credit.yaml")
    message = str(info.value)
    assert message.startswith("credit.yaml: is invalid")
    for field in (
        "owner: Field required",
        "human_oversight:",
        "languages[0]:",
        "stakeholders[0].kind:",
        "colour: unknown field",
    ):
        assert field in message


def test_consequential_domains_must_be_known_and_listed_once() -> None:
    with pytest.raises(InputError, match="consequential_domains"):
        parse_model(AISystem, system_doc(consequential_domains=["credit", "credit"]), origin="x")
    with pytest.raises(InputError, match=r"consequential_domains\[0\]"):
        parse_model(AISystem, system_doc(consequential_domains=["astrology"]), origin="x")


def test_ids_are_slugs_and_guardrail_versions_are_numbers_or_draft() -> None:
    with pytest.raises(InputError, match="id:"):
        parse_model(AISystem, system_doc(id="Credit Model!"), origin="x")
    ok = parse_model(AISystem, system_doc(guardrails=[{"id": "g1", "version": "DRAFT"}]), origin="x")
    assert ok.guardrails[0].version == "DRAFT"
    with pytest.raises(InputError, match=r"guardrails\[0\].version"):
        parse_model(AISystem, system_doc(guardrails=[{"id": "g1", "version": "latest"}]), origin="x")


def test_release_requirement_thresholds_are_checked_when_read() -> None:
    bad = [{"kind": "evaluation", "thresholds": ["recall is high"]}]
    with pytest.raises(InputError, match=r"release_requirements\[0\].thresholds.*not a threshold"):
        parse_model(AISystem, system_doc(release_requirements=bad), origin="x")


def test_non_mapping_documents_and_bad_yaml_are_named() -> None:
    with pytest.raises(InputError, match="x: must be a mapping of fields, not list"):
        parse_model(AISystem, [1, 2], origin="x")
    with pytest.raises(InputError, match=r"f.yaml: is not valid YAML or JSON at line 2"):
        load_yaml_text("a: 1\n  b: [\n", origin="f.yaml")
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_yaml_text(b"\xff\xfe", origin="f.yaml")


def test_parse_status_lists_the_valid_names() -> None:
    assert parse_status("deployment") is Lifecycle.DEPLOYMENT
    with pytest.raises(InputError, match="status: 'live' is not a lifecycle status .*design, development"):
        parse_status("live")
