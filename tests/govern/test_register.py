from __future__ import annotations

import json

import pytest
from govern_builders import NOW, make_evidence, make_risk, make_system

from steward.errors import InputError
from steward.govern.datasheet import Datasheet
from steward.govern.inventory import Lifecycle
from steward.govern.register import Register, StatusChange, dump_register, parse_register

SHEET = Datasheet(
    id="adult",
    name="Adult",
    version="1",
    motivation="m",
    composition="c",
    collection="c",
    preprocessing="p",
    uses="u",
    distribution="d",
    maintenance="m",
)


def _register() -> Register:
    deployed = make_system(id="bot", status="deployment", consequential_domains=[], eu_ai_act_tier="limited")
    decision = StatusChange(
        system_id="bot",
        system_version="1.0",
        from_status=Lifecycle.DEVELOPMENT,
        to_status=Lifecycle.DEPLOYMENT,
        allowed=True,
        decided_at=NOW,
        decided_by="lead",
    )
    return Register(
        systems=[make_system(), deployed],
        datasets=[SHEET],
        risks=[make_risk(id="r2"), make_risk(id="r1")],
        evidence=[make_evidence({"recall": 0.9, "by_group": {"sex": {"F": {"recall": 0.8}}}})],
        decisions=[decision],
    )


def test_yaml_round_trips_exactly() -> None:
    text = dump_register(_register())
    again = dump_register(parse_register(text))
    assert again == text
    assert text.index("id: bot") < text.index("id: credit")  # canonical order
    assert parse_register(text) == _register().sorted()


def test_json_is_accepted_too() -> None:
    from steward.govern.register import to_document

    doc = json.dumps(to_document(_register()))
    assert dump_register(parse_register(doc)) == dump_register(_register())


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(InputError, match="reg.yaml: is not valid YAML or JSON at line 4, column 1"):
        parse_register("systems:\n  - id: a\n  - [unclosed\n", origin="reg.yaml")


def test_invalid_records_name_their_path() -> None:
    text = dump_register(_register()).replace("severity: 5", "severity: 7", 1)
    with pytest.raises(InputError, match=r"risks\[0\].severity: Input should be less than or equal to 5"):
        parse_register(text, origin="reg.yaml")
    with pytest.raises(InputError, match="steward_register"):
        parse_register("steward_register: 2\n")


def test_references_must_resolve_and_ids_be_unique() -> None:
    reg = _register()
    orphan = Register(systems=reg.systems, risks=[make_risk(system_id="ghost")])
    with pytest.raises(InputError, match=r"risks\[0\].system_id: names system 'ghost'"):
        parse_register(dump_register(orphan))
    twice = Register(systems=[make_system(), make_system()])
    with pytest.raises(InputError, match=r"systems\[1\]: repeats system 'credit'"):
        parse_register(dump_register(twice))


def test_a_deployed_system_needs_an_allowed_gate_decision() -> None:
    reg = _register()
    forged = Register(systems=reg.systems, datasets=reg.datasets, risks=reg.risks, evidence=reg.evidence)
    with pytest.raises(
        InputError, match="system bot: is deployment but has no allowed release-gate decision for version 1.0"
    ):
        parse_register(dump_register(forged))
