"""The risk report in the usual shape: use case, stakeholders, risks with ratings, mitigations.

Every rating is computed from the stored severity and likelihood (see :mod:`steward.govern.risk`
for the bands); nothing in the report is typed in separately.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from steward.govern.documents import Document, Section, Table
from steward.govern.heatmap import heatmap_table, heatmap_text
from steward.govern.inventory import AISystem
from steward.govern.risk import RATING_BANDS, Risk

__all__ = ["risk_report", "risk_table", "use_case_sections"]


def use_case_sections(system: AISystem) -> list[Section]:
    """The system's use cases and stakeholders, as report sections."""
    uses = []
    for case in system.use_cases:
        uses.append(
            Section(
                f"Use case: {case.name}",
                fields=[
                    ("Business problem", case.business_problem),
                    ("Workflow", case.workflow),
                    ("Key inputs", ", ".join(case.key_inputs)),
                    ("Key outputs", ", ".join(case.key_outputs)),
                ],
            )
        )
    people = Table(
        ["stakeholder", "relation", "description"],
        [[s.name, s.kind.value, s.description or ""] for s in system.stakeholders],
    )
    return [*uses, Section("Stakeholders", tables=[people])]


def risk_table(risks: Sequence[Risk]) -> Table:
    """One row per risk: scores, ratings, treatment and owner."""
    rows, styles = [], []
    for r in risks:
        residual = (
            f"{r.residual_severity}×{r.residual_likelihood} = {r.residual_score}"
            if r.residual_score is not None
            else "not assessed"
        )
        rows.append(
            [
                r.id,
                r.title,
                ", ".join(r.stakeholders),
                f"{r.severity}×{r.likelihood} = {r.inherent_score}",
                r.inherent_rating.value,
                r.treatment.value if r.treatment else "none",
                residual,
                r.residual_rating.value if r.residual_rating else "—",
                r.owner,
                r.reviewed_on.isoformat() if r.reviewed_on else "not reviewed",
                r.review_date.isoformat() if r.review_date else "—",
            ]
        )
        styles.append(
            [
                "",
                "",
                "",
                "",
                r.inherent_rating.value,
                "",
                "",
                r.residual_rating.value if r.residual_rating else "",
                "",
                "",
                "",
            ]
        )
    columns = [
        "id",
        "risk",
        "affected",
        "inherent S×L",
        "rating",
        "treatment",
        "residual S×L",
        "residual rating",
        "owner",
        "reviewed",
        "next review",
    ]
    return Table(columns, rows, caption="Risks", styles=styles)


def risk_report(system: AISystem, risks: Sequence[Risk], *, now: dt.datetime) -> Document:
    """The risk report of one system."""
    bands = ", ".join(f"{rating.value} ≥ {floor}" for floor, rating in RATING_BANDS)
    mitigations = Table(
        ["risk", "mitigation", "controls"],
        [[r.id, m.description, ", ".join(m.controls) or "—"] for r in risks for m in r.mitigations],
        caption="Mitigations and the controls they implement",
    )
    details = [f"{r.id}: {r.description}" for r in risks]
    sections = [
        Section(
            "System",
            fields=[
                ("System", f"{system.name} ({system.id}) version {system.version}"),
                ("Owner", system.owner),
                ("Status", system.status.value),
                ("Human oversight", system.human_oversight.value),
                (
                    "Consequential decisions",
                    ", ".join(d.value for d in system.consequential_domains) or "none",
                ),
                ("EU AI Act", f"{system.eu_ai_act_tier.value} ({system.eu_ai_act_role.value})"),
            ],
            text=[system.description],
        ),
        *use_case_sections(system),
        Section(
            "Risks",
            text=[f"Scores are severity × likelihood on 1–5 scales; bands: {bands}."]
            + ([] if risks else ["No risks are registered."]),
            tables=[risk_table(risks)] if risks else [],
            items=details,
        ),
        Section(
            "Mitigations",
            tables=[mitigations] if mitigations.rows else [],
            text=[] if mitigations.rows else ["None recorded."],
        ),
        Section(
            "Heat maps",
            tables=[heatmap_table(risks), heatmap_table(risks, residual=True)],
            preformatted=heatmap_text(risks) + "\n\n" + heatmap_text(risks, residual=True),
        ),
    ]
    return Document(
        kind="risk-report",
        title=f"Risk report: {system.name}",
        subtitle=f"{system.id} version {system.version}",
        generated_at=now.isoformat(timespec="seconds"),
        sections=sections,
    )
