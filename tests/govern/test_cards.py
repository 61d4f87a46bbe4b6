from __future__ import annotations

import datetime as dt
import json

import pytest
from govern_builders import NOW, make_evidence, make_risk, make_system

from steward.govern.cards import CardInputs, card_problems, datasheet_card, model_card, system_card
from steward.govern.controls import control_coverage
from steward.govern.datasheet import ColumnCounts, DatasetProfile, Datasheet
from steward.govern.documents import Document, Section, Table, render
from steward.govern.heatmap import heat_grid, heatmap_table, heatmap_text
from steward.govern.report import risk_report
from steward.govern.requirements import EvidenceKind

EVAL = {
    "recall": 0.93,
    "fpr": 0.02,
    "n": 16281,
    "by_group": {"sex": {"Female": {"recall": 0.9}, "Male": {"recall": 0.95}}},
}


def _inputs(evidence: list, **system_overrides: object) -> CardInputs:
    system = make_system(
        models=[{"name": "credit-lr", "version": "1.0", "dataset": "adult"}], **system_overrides
    )
    risks = [make_risk()]
    return CardInputs(
        system=system,
        risks=risks,
        evidence=evidence,
        datasheets={},
        coverage=control_coverage(system, risks=risks, evidence=evidence, datasheets={}, today=NOW.date()),
        decisions=[],
        now=NOW,
    )


def test_system_card_numbers_come_from_evidence_with_id_and_date() -> None:
    ev = make_evidence(EVAL)
    fair = make_evidence(EVAL, kind=EvidenceKind.FAIRNESS, name="groups")
    card = system_card(_inputs([ev, fair]))
    md = render(card, "md")
    titles = [s.title for s in card.sections]
    for expected in (
        "Intended uses and limitations",
        "Design choices",
        "Performance",
        "Fairness",
        "Explainability",
        "Robustness",
        "Privacy and security",
        "Transparency",
        "Governance",
        "Deployment best practices",
    ):
        assert expected in titles
    assert f"({ev.id}, 2026-11-21, sha256 {ev.content_sha256[:12]})" in md
    assert "| recall | 0.93 |" in md and "| n | 16281 |" in md
    assert "| sex | recall | 0.9 (Female) | 0.95 (Male) | 0.05 | 0.9474 |" in md
    assert "No red-team evidence is recorded for this version." in md
    assert card.data["evidence"] == sorted({ev.id, fair.id})


def test_evidence_for_another_version_is_not_shown() -> None:
    old = make_evidence(EVAL, system=make_system(version="0.9"))
    md = render(system_card(_inputs([old])), "md")
    assert old.id not in md and "No evaluation evidence is recorded for this version." in md


def test_model_card_uses_the_models_own_evidence() -> None:
    ev = make_evidence(EVAL)
    inputs = _inputs([ev])
    card = model_card(inputs, inputs.system.models[0])
    md = render(card, "md")
    assert [s.title for s in card.sections][:4] == ["Model details", "Intended use", "Factors", "Metrics"]
    assert "Groups the recorded evaluations report separately: sex" in md and ev.id in md
    other = model_card(inputs, inputs.system.models[0].model_copy(update={"version": "2.0"}))
    assert "No evaluation of credit-lr 2.0 is recorded." in render(other, "md")


def test_strict_problems_are_missing_or_stale_evidence_only() -> None:
    assert card_problems(_inputs([])) == ["no evaluation evidence 'holdout' recorded for version 1.0"]
    stale = make_evidence(EVAL, recorded_at=NOW - dt.timedelta(days=60))
    assert "60 days old" in card_problems(_inputs([stale]))[0]
    failing = make_evidence({"recall": 0.1, "fpr": 0.5})
    assert card_problems(_inputs([failing])) == []
    assert card_problems(_inputs([], release_requirements=[])) == [
        "no evaluation evidence recorded for version 1.0"
    ]


def test_datasheet_lists_the_seven_sections_and_measured_facts() -> None:
    profile = DatasetProfile(
        file_name="adult.data",
        file_sha256="a" * 64,
        bytes=10,
        rows=4,
        columns=["sex", "income"],
        measured_at=NOW,
        exact_duplicate_rows=1,
        label=ColumnCounts(column="income", counts={"<=50K": 3, ">50K": 1}),
        groups=[ColumnCounts(column="sex", counts={"Male": 3}, missing=1)],
        pii_policy="pii-mask",
        pii_rows_scanned=4,
        pii_columns=["note"],
        pii_counts={"EMAIL": 2},
    )
    sheet = Datasheet(
        id="adult",
        name="Adult",
        version="1",
        motivation="Why.",
        composition="What.",
        collection="How.",
        preprocessing="None.",
        uses="Research.",
        distribution="UCI.",
        maintenance="None.",
        profile=profile,
    )
    md = render(datasheet_card(sheet, now=NOW), "md")
    for title in (
        "Motivation",
        "Composition",
        "Collection process",
        "Preprocessing",
        "Uses",
        "Distribution",
        "Maintenance",
    ):
        assert f"## {title}" in md
    assert "| <=50K | 3 | 75.0% |" in md and "| (missing) | 1 | 25.0% |" in md and "| EMAIL | 2 |" in md


def test_html_escapes_register_text_and_json_is_structured() -> None:
    doc = Document(
        "x",
        "<script>alert(1)</script>",
        "sub",
        "now",
        [Section("S", text=["a & b"], tables=[Table(["c"], [["<b>"]])])],
    )
    html = render(doc, "html")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    data = json.loads(render(doc, "json"))
    assert data["sections"][0]["tables"][0]["rows"] == [{"c": "<b>"}]
    assert "\\|" in render(
        Document("x", "t", "s", "n", [Section("S", tables=[Table(["a"], [["x|y"]])])]), "md"
    )
    with pytest.raises(ValueError, match="format must be one of"):
        render(doc, "pdf")


def test_heat_map_places_risks_in_their_cells() -> None:
    risks = [
        make_risk(id="a", severity=5, likelihood=4),
        make_risk(
            id="b",
            severity=2,
            likelihood=1,
            residual_severity=1,
            residual_likelihood=1,
            treatment="accept",
            mitigations=[],
        ),
    ]
    grid = heat_grid(risks)
    assert grid[(5, 4)] == ["a"] and grid[(2, 1)] == ["b"]
    assert heat_grid(risks, residual=True)[(4, 2)] == ["a"]
    text = heatmap_text(risks)
    assert text.splitlines()[2].startswith("   5 |") and " a " in text.splitlines()[2]
    table = heatmap_table(risks)
    assert table.rows[0][4] == "a" and table.styles is not None and table.styles[0][4] == "critical"
    assert table.styles[4][1] == "low"


def test_risk_report_has_the_usual_shape() -> None:
    report = risk_report(make_system(), [make_risk()], now=NOW)
    titles = [s.title for s in report.sections]
    assert titles == ["System", "Use case: Pre-screen", "Stakeholders", "Risks", "Mitigations", "Heat maps"]
    md = render(report, "md")
    assert "| r1 | Disparate impact | applicants | 5×4 = 20 | critical | mitigate | 4×2 = 8 | medium |" in md
    assert 'class="critical"' in render(report, "html")
