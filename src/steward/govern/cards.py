"""System cards, model cards and datasheets, drawn entirely from the stored register.

Every number on a card comes from a stored evidence record or a measured data-set
profile and is printed with the record's id and date, so a reader can trace it; nothing
is typed in by hand. :func:`card_problems` says which required evidence is missing or
stale, which ``steward card --strict`` turns into a failure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from steward.govern.controls import ControlState, ControlStatus, control_coverage
from steward.govern.datasheet import Datasheet
from steward.govern.documents import Document, Section, Table
from steward.govern.evidence import Evidence
from steward.govern.gates import evaluate_gate
from steward.govern.inventory import AISystem, Lifecycle, ModelRef
from steward.govern.register import StatusChange
from steward.govern.report import risk_table, use_case_sections
from steward.govern.repository import GovernanceStore
from steward.govern.requirements import EvidenceKind, split_slice
from steward.govern.risk import Risk

__all__ = [
    "CardInputs",
    "all_cards",
    "card_problems",
    "collect_card_inputs",
    "datasheet_card",
    "model_card",
    "system_card",
]

#: Without release requirements, ``--strict`` wants an evaluation no older than this.
DEFAULT_EVIDENCE_MAX_AGE_DAYS = 365


@dataclass(frozen=True)
class CardInputs:
    """Everything the register holds about one system, read once for all its cards."""

    system: AISystem
    risks: Sequence[Risk]
    evidence: Sequence[Evidence]
    datasheets: dict[str, Datasheet]
    coverage: Sequence[ControlStatus]
    decisions: Sequence[StatusChange]
    now: dt.datetime

    def current(self, kind: EvidenceKind) -> list[Evidence]:
        """This system version's evidence of ``kind``, the newest record per name."""
        latest: dict[str, Evidence] = {}
        for e in sorted(self.evidence, key=lambda e: (e.recorded_at, e.id)):
            if e.kind is kind and e.system_version == self.system.version:
                latest[e.name] = e
        return list(latest.values())


def collect_card_inputs(store: GovernanceStore, system_id: str, *, now: dt.datetime) -> CardInputs:
    """Read everything one system's cards need from the register."""
    system = store.get_system(system_id)
    risks = store.list_risks(system_id)
    evidence = store.list_evidence(system_id)
    sheets = store.datasheets_for(system)
    return CardInputs(
        system=system,
        risks=risks,
        evidence=evidence,
        datasheets=sheets,
        coverage=control_coverage(
            system, risks=risks, evidence=evidence, datasheets=sheets, today=now.date()
        ),
        decisions=store.decisions(system_id),
        now=now,
    )


def all_cards(inputs: CardInputs) -> dict[str, Document]:
    """Every card of a system, by file stem: the system card, a model card per model, the datasheets."""
    system = inputs.system
    docs = {f"{system.id}-system-card": system_card(inputs)}
    for model in system.models:
        docs[f"{system.id}-model-card-{model.name}"] = model_card(inputs, model)
    for sheet in inputs.datasheets.values():
        docs[f"datasheet-{sheet.id}"] = datasheet_card(sheet, now=inputs.now, evidence=inputs.evidence)
    return docs


def _cite(e: Evidence) -> str:
    return f"{e.id}, {e.recorded_at.date().isoformat()}, sha256 {e.content_sha256[:12]}"


def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


#: Counts, not rates: a gap between group sizes says nothing about fairness.
_COUNT_METRICS = frozenset({"n", "count", "support", "rows"})


def _metrics_table(e: Evidence) -> Table:
    rows = [[name, _fmt(value)] for name, value in sorted(e.metrics.items())]
    return Table(
        ["metric", "value"], rows, caption=f"{e.name} — {e.subject} {e.subject_version} ({_cite(e)})"
    )


def _slices_table(e: Evidence, slices: dict[str, dict[str, float]], what: str) -> Table:
    metrics = sorted({m for values in slices.values() for m in values})
    rows = [[name, *(_fmt(v[m]) if m in v else "—" for m in metrics)] for name, v in sorted(slices.items())]
    return Table([what, *metrics], rows, caption=f"{e.name} by {what} ({_cite(e)})")


def _gaps_table(e: Evidence) -> Table | None:
    """Lowest and highest group per attribute and metric (slices named ``attribute=group``)."""
    by_attribute: dict[str, dict[str, dict[str, float]]] = {}
    for name, slice_metrics in e.slices.items():
        attribute, group = split_slice(name)
        by_attribute.setdefault(attribute or "group", {})[group] = slice_metrics
    rows = []
    for attribute, groups in sorted(by_attribute.items()):
        metrics = sorted({m for group_metrics in groups.values() for m in group_metrics} - _COUNT_METRICS)
        for m in metrics:
            ranked: list[tuple[float, str]] = sorted((v[m], g) for g, v in groups.items() if m in v)
            if len(ranked) < 2:
                continue
            low, low_g = ranked[0]
            high, high_g = ranked[-1]
            ratio = _fmt(low / high) if high else "—"
            rows.append(
                [attribute, m, f"{_fmt(low)} ({low_g})", f"{_fmt(high)} ({high_g})", _fmt(high - low), ratio]
            )
    if not rows:
        return None
    columns = ["attribute", "metric", "lowest group", "highest group", "gap", "ratio"]
    return Table(columns, rows, caption=f"Group gaps ({_cite(e)})")


def _evidence_sections(e: Evidence) -> list[Table]:
    tables = [_metrics_table(e)] if e.metrics else []
    if e.slices:
        tables.append(_slices_table(e, e.slices, "group"))
        gaps = _gaps_table(e)
        if gaps is not None:
            tables.append(gaps)
    if e.categories:
        tables.append(_slices_table(e, e.categories, "category"))
    return tables


def _none(kind: str) -> list[str]:
    return [f"No {kind} evidence is recorded for this version."]


def card_problems(inputs: CardInputs) -> list[str]:
    """Required evidence that is missing or stale; empty when a card can be published strictly."""
    system = inputs.system
    if system.release_requirements:
        decision = evaluate_gate(
            system.model_copy(update={"status": Lifecycle.DEVELOPMENT}),
            Lifecycle.DEPLOYMENT,
            risks=inputs.risks,
            evidence=inputs.evidence,
            now=inputs.now,
        )
        return [
            c.detail for c in decision.checks if not c.passed and c.name.startswith(("evidence:", "fresh:"))
        ]
    evaluations = inputs.current(EvidenceKind.EVALUATION)
    if not evaluations:
        return [f"no evaluation evidence recorded for version {system.version}"]
    newest = max(evaluations, key=lambda e: e.recorded_at)
    age = newest.age_days(inputs.now)
    if age > DEFAULT_EVIDENCE_MAX_AGE_DAYS:
        return [
            f"the newest evaluation {newest.id} is {age:.0f} days old (over {DEFAULT_EVIDENCE_MAX_AGE_DAYS})"
        ]
    return []


def _coverage_table(coverage: Sequence[ControlStatus]) -> Table:
    counts: dict[str, Counter[str]] = {}
    for c in coverage:
        counts.setdefault(c.ref.split(":")[0], Counter())[c.state.value] += 1
    rows = [[fw, str(n["met"]), str(n["gap"]), str(n["not-applicable"])] for fw, n in counts.items()]
    return Table(["framework", "met", "gaps", "not applicable"], rows, caption="Control coverage")


def system_card(inputs: CardInputs) -> Document:
    """The system card: what the system is for, how well it works, and how it is governed."""
    s = inputs.system
    evals = inputs.current(EvidenceKind.EVALUATION)
    fairness = inputs.current(EvidenceKind.FAIRNESS)
    redteam = inputs.current(EvidenceKind.RED_TEAM)
    explanations = inputs.current(EvidenceKind.EXPLANATION)
    scans = inputs.current(EvidenceKind.DATASET_SCAN)
    reviews = inputs.current(EvidenceKind.REVIEW) + inputs.current(EvidenceKind.ATTESTATION)
    gaps = [c for c in inputs.coverage if c.state is ControlState.GAP]
    last = inputs.decisions[-1] if inputs.decisions else None
    residual = Counter(r.residual_rating.value for r in inputs.risks if r.residual_rating)
    pii_rows = [
        [
            sheet.id,
            str(sheet.profile.pii_rows_scanned),
            ", ".join(f"{k} {v}" for k, v in sheet.profile.pii_counts.items()) or "none found",
            sheet.profile.measured_at.date().isoformat(),
        ]
        for sheet in inputs.datasheets.values()
        if sheet.profile is not None and sheet.profile.pii_columns
    ]
    sections = [
        Section(
            "Overview",
            text=[s.description],
            fields=[
                ("System", f"{s.name} ({s.id}) version {s.version}"),
                ("Owner", s.owner),
                ("Status", s.status.value),
                ("Languages", ", ".join(s.languages)),
                ("Regions", ", ".join(s.regions)),
            ],
        ),
        *use_case_sections(s),
        Section(
            "Intended uses and limitations",
            items=[f"Intended: {u}" for u in s.intended_uses]
            + [f"Foreseeable misuse: {m}" for m in s.foreseeable_misuses]
            + [f"Limitation: {lim}" for lim in s.limitations],
        ),
        Section(
            "Design choices",
            items=list(s.design_choices)
            + [f"Model: {m.name} {m.version}" + (f" ({m.kind})" if m.kind else "") for m in s.models]
            + [f"Data set: {d.id} {d.version} ({d.purpose})" for d in s.datasets]
            + [f"Guardrail: {g.id} version {g.version}" for g in s.guardrails],
        ),
        Section(
            "Performance",
            tables=[t for e in evals for t in _evidence_sections(e)],
            text=[] if evals else _none("evaluation"),
        ),
        Section(
            "Fairness",
            tables=[t for e in fairness for t in _evidence_sections(e)],
            text=[] if fairness else _none("fairness"),
        ),
        Section(
            "Explainability",
            text=[s.explainability or "Not documented."],
            tables=[_explanation_table(e) for e in explanations if e.slices],
        ),
        Section(
            "Robustness",
            tables=[t for e in redteam for t in _evidence_sections(e)],
            text=[] if redteam else _none("red-team"),
        ),
        Section(
            "Privacy and security",
            items=[f"Guardrail {g.id} version {g.version} screens inputs and outputs" for g in s.guardrails]
            or ["No guardrail is recorded in front of this system."],
            tables=(
                [
                    Table(
                        ["data set", "rows scanned", "PII found (counts per type)", "measured"],
                        pii_rows,
                        caption="PII scans of data sets",
                    )
                ]
                if pii_rows
                else []
            )
            + [t for e in scans for t in _evidence_sections(e)],
        ),
        Section(
            "Transparency",
            fields=[
                ("EU AI Act tier", s.eu_ai_act_tier.value),
                ("EU AI Act role", s.eu_ai_act_role.value),
                ("Transparency duties", ", ".join(d.value for d in s.transparency_duties) or "none"),
            ],
        ),
        Section(
            "Governance",
            fields=[
                ("Organisation's role", s.org_role.value),
                (
                    "Human oversight",
                    s.human_oversight.value
                    + (f" — {s.oversight_description}" if s.oversight_description else ""),
                ),
                ("Consequential decisions", ", ".join(d.value for d in s.consequential_domains) or "none"),
                (
                    "Risks",
                    f"{len(inputs.risks)} registered; residual ratings: "
                    + (", ".join(f"{k} {v}" for k, v in sorted(residual.items())) or "none assessed"),
                ),
                (
                    "Last gate decision",
                    f"{'allowed' if last.allowed else 'refused'} {last.from_status.value} -> {last.to_status.value} on {last.decided_at.date().isoformat()}"
                    if last
                    else "none",
                ),
            ],
            tables=[_coverage_table(inputs.coverage)] + ([risk_table(inputs.risks)] if inputs.risks else []),
            items=[f"Gap: {c.ref} — {c.title}" for c in gaps],
        ),
        Section(
            "Reviews and attestations",
            items=[
                f"{e.name}: {'passed' if e.passed else 'failed'} — {e.statement or ''} ({e.recorded_by}, {_cite(e)})"
                for e in reviews
            ]
            or ["None recorded."],
        ),
        Section("Deployment best practices", items=list(s.deployment_practices) or ["None documented."]),
    ]
    return Document(
        kind="system-card",
        title=f"System card: {s.name}",
        subtitle=f"{s.id} version {s.version}",
        generated_at=inputs.now.isoformat(timespec="seconds"),
        sections=sections,
        data={
            "evidence": sorted({e.id for e in evals + fairness + redteam + scans + reviews + explanations}),
            "controls": {"met": sum(c.state is ControlState.MET for c in inputs.coverage), "gaps": len(gaps)},
        },
    )


#: Per-feature columns of an explanation record (``steward explain``), in table order.
_EXPLANATION_COLUMNS = (
    ("permutation_importance", "permutation importance"),
    ("permutation_importance_std", "± std"),
    ("mean_abs_shap", "mean |SHAP|"),
    ("local_shap", "SHAP, one row"),
)


def _explanation_table(e: Evidence) -> Table:
    """One row per model input, most important first, from an explanation record's slices."""
    shown = [(key, title) for key, title in _EXPLANATION_COLUMNS if any(key in v for v in e.slices.values())]
    ranked = sorted(e.slices.items(), key=lambda kv: -kv[1].get("permutation_importance", 0.0))
    rows = [[feature, *(_fmt(v[key]) if key in v else "—" for key, _ in shown)] for feature, v in ranked]
    local = ""
    if "local.prediction" in e.metrics:
        local = (
            f"; the SHAP column explains row {_fmt(e.metrics.get('local.row', 0))}: prediction "
            f"{_fmt(e.metrics['local.prediction'])} = average {_fmt(e.metrics.get('local.base_value', 0))} "
            "+ the column's sum"
        )
    scoring = f", baseline score {_fmt(e.metrics['baseline_score'])}" if "baseline_score" in e.metrics else ""
    return Table(
        ["feature", *(title for _, title in shown)],
        rows,
        caption=f"{e.name} — {e.subject} {e.subject_version}{scoring}{local} ({_cite(e)})",
    )


def _model_evidence(inputs: CardInputs, model: ModelRef, kind: EvidenceKind) -> list[Evidence]:
    names = {model.name, f"model:{model.name}"}
    return [e for e in inputs.current(kind) if e.subject in names and e.subject_version == model.version]


def model_card(inputs: CardInputs, model: ModelRef) -> Document:
    """A model card (Mitchell et al.): details, intended use, factors, metrics, data, considerations."""
    s = inputs.system
    evals = _model_evidence(inputs, model, EvidenceKind.EVALUATION)
    fairness = _model_evidence(inputs, model, EvidenceKind.FAIRNESS)
    explanations = _model_evidence(inputs, model, EvidenceKind.EXPLANATION)
    # A red team run against the model itself (``steward redteam run --url … --subject model:NAME``).
    redteam = _model_evidence(inputs, model, EvidenceKind.RED_TEAM)
    factors = sorted({split_slice(name)[0] or "group" for e in evals + fairness for name in e.slices})
    eval_sets = [d for d in s.datasets if d.purpose == "evaluation"]
    training = inputs.datasheets.get(model.dataset) if model.dataset else None
    sections = [
        Section(
            "Model details",
            fields=[
                ("Name", model.name),
                ("Version", model.version),
                ("Kind", model.kind or "not stated"),
                ("Provider", model.provider or s.owner),
                ("Used by", f"{s.name} ({s.id}) version {s.version}"),
            ],
        ),
        Section(
            "Intended use",
            items=[f"Intended: {u}" for u in s.intended_uses]
            + [f"Out of scope: {m}" for m in s.foreseeable_misuses],
        ),
        Section(
            "Factors",
            text=[
                "Groups the recorded evaluations report separately: "
                + (", ".join(factors) if factors else "none")
            ],
        ),
        Section(
            "Metrics",
            tables=[t for e in evals + fairness for t in _evidence_sections(e)],
            text=[] if evals or fairness else [f"No evaluation of {model.name} {model.version} is recorded."],
        ),
        Section(
            "Explainability",
            tables=[_explanation_table(e) for e in explanations if e.slices],
            text=[]
            if explanations
            else [f"No explanation of {model.name} {model.version} is recorded (see `steward explain`)."],
        ),
        Section(
            "Robustness",
            tables=[t for e in redteam for t in _evidence_sections(e)],
            text=[]
            if redteam
            else [
                f"No red-team result for {model.name} {model.version} is recorded (see `steward redteam`)."
            ],
        ),
        Section(
            "Evaluation data",
            items=[f"{d.id} {d.version}" for d in eval_sets]
            + sorted(
                {
                    f"inputs of {e.id}: " + ", ".join(f"{k} (sha256 {v[:12]})" for k, v in e.inputs.items())
                    for e in evals
                    if e.inputs
                }
            ),
        ),
        Section(
            "Training data",
            text=[
                f"{training.name} {training.version}: see its datasheet."
                if training
                else "No datasheet is linked."
            ],
        ),
        Section(
            "Ethical considerations",
            items=[
                f"{r.id}: {r.title} (residual {r.residual_rating.value if r.residual_rating else 'not assessed'})"
                for r in inputs.risks
            ]
            or ["No risks registered."],
        ),
        Section("Caveats and recommendations", items=list(s.limitations) or ["None documented."]),
    ]
    return Document(
        kind="model-card",
        title=f"Model card: {model.name}",
        subtitle=f"version {model.version}, in {s.id} {s.version}",
        generated_at=inputs.now.isoformat(timespec="seconds"),
        sections=sections,
        data={"evidence": sorted(e.id for e in evals + fairness + explanations + redteam)},
    )


def _counts_table(title: str, counts: dict[str, int], total: int, other: int, missing: int) -> Table:
    rows = [[k, str(v), f"{v / total:.1%}" if total else "—"] for k, v in counts.items()]
    if other:
        rows.append(["(other values)", str(other), f"{other / total:.1%}" if total else "—"])
    if missing:
        rows.append(["(missing)", str(missing), f"{missing / total:.1%}" if total else "—"])
    return Table(["value", "rows", "share"], rows, caption=title)


def _scan_table(sheet: Datasheet, evidence: Sequence[Evidence]) -> Table | None:
    """The ``steward scan`` / ``steward scrub`` evidence recorded about this data set (``--dataset``)."""
    about = sorted(
        (e for e in evidence if e.kind is EvidenceKind.DATASET_SCAN and e.subject == f"dataset:{sheet.id}"),
        key=lambda e: (e.recorded_at, e.id),
    )
    rows = []
    for e in about:
        m = e.metrics
        pii = int(sum(v for k, v in m.items() if k.startswith("pii.")))
        blocked = m.get("rows_blocked", m.get("rows_dropped", 0) + m.get("rows_flagged", 0))
        rows.append(
            [
                e.name,
                f"{e.system_id} {e.system_version}",
                str(int(m.get("rows", m.get("rows_read", 0)))),
                str(pii),
                str(int(blocked)),
                f"{e.id}, {e.recorded_at.date().isoformat()}, data {e.subject_version}",
            ]
        )
    if not rows:
        return None
    columns = ["run", "for system", "rows", "PII findings", "rows blocked", "evidence"]
    return Table(columns, rows, caption="Scans and scrubs recorded as evidence")


def datasheet_card(sheet: Datasheet, *, now: dt.datetime, evidence: Sequence[Evidence] = ()) -> Document:
    """A datasheet: the seven sections, then the facts Steward measured.

    ``evidence`` may hold any evidence; the dataset-scan records about this data set (``steward
    scan`` or ``steward scrub`` with ``--dataset``) are listed with their counts.
    """
    sections = [
        Section("Motivation", text=[sheet.motivation]),
        Section("Composition", text=[sheet.composition]),
        Section("Collection process", text=[sheet.collection]),
        Section("Preprocessing, cleaning and labelling", text=[sheet.preprocessing]),
        Section("Uses", text=[sheet.uses]),
        Section(
            "Distribution",
            text=[sheet.distribution] + ([f"Licence: {sheet.licence}"] if sheet.licence else []),
        ),
        Section("Maintenance", text=[sheet.maintenance]),
    ]
    p = sheet.profile
    if p is None:
        sections.append(Section("Measured facts", text=["Not measured: run `steward dataset profile`."]))
    else:
        tables = []
        if p.label is not None:
            tables.append(
                _counts_table(
                    f"Label balance: {p.label.column}", p.label.counts, p.rows, p.label.other, p.label.missing
                )
            )
        tables += [
            _counts_table(f"Representation: {g.column}", g.counts, p.rows, g.other, g.missing)
            for g in p.groups
        ]
        if p.pii_columns:
            tables.append(
                Table(
                    ["entity type", "findings"],
                    [[k, str(v)] for k, v in p.pii_counts.items()] or [["none found", "0"]],
                    caption=f"PII in {', '.join(p.pii_columns)} ({p.pii_rows_scanned} rows scanned, policy {p.pii_policy})",
                )
            )
        sections.append(
            Section(
                "Measured facts",
                fields=[
                    ("File", f"{p.file_name} (sha256 {p.file_sha256[:16]}, {p.bytes} bytes)"),
                    ("Measured", p.measured_at.isoformat(timespec="seconds")),
                    ("Rows", str(p.rows)),
                    ("Columns", ", ".join(p.columns)),
                    ("Exact duplicate rows", str(p.exact_duplicate_rows)),
                    ("Sensitive attributes", ", ".join(sheet.sensitive_attributes) or "none named"),
                ],
                tables=tables,
            )
        )
    scans = _scan_table(sheet, evidence)
    if scans is not None:
        sections.append(Section("Scans and scrubs", tables=[scans]))
    return Document(
        kind="datasheet",
        title=f"Datasheet: {sheet.name}",
        subtitle=f"{sheet.id} version {sheet.version}",
        generated_at=now.isoformat(timespec="seconds"),
        sections=sections,
    )
