"""The release gate: may this system version enter deployment (or operation)?

The gate checks, and explains in words, each of:

* the system is not in the EU AI Act's prohibited tier;
* every guardrail it names is a frozen version that exists in the guard's store (when the
  caller passes the store's versions, as the database-backed store always does);
* every required piece of evidence exists for this system version, is no older than its
  ``max_age_days``, did not fail, and meets each of its thresholds and its per-attribute
  fairness limits (a disparate-impact floor, an equalized-odds ceiling);
* a system that makes or supports consequential decisions (or is EU high-risk) has human
  oversight configured, at least one release requirement, and a completed risk
  assessment: at least one risk, each with a treatment, a residual rating and a review.

A refusal is real: callers change the status only when :attr:`GateDecision.allowed`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from steward.govern.evidence import Evidence
from steward.govern.inventory import GATED_STATUSES, AISystem, EuAiActTier, HumanOversight, Lifecycle
from steward.govern.requirements import EvidenceRequirement, ProtectedAttributeLimit, Threshold, lookup_metric
from steward.govern.risk import Risk

__all__ = ["GateCheck", "GateDecision", "evaluate_gate", "latest_evidence", "pinned_version"]


@dataclass(frozen=True, slots=True)
class GateCheck:
    """One condition the gate looked at, whether it holds, and why."""

    name: str
    passed: bool
    detail: str
    evidence_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "check": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "evidence": self.evidence_id,
        }


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The gate's answer for one requested status change."""

    system_id: str
    system_version: str
    current: Lifecycle
    target: Lifecycle
    checks: list[GateCheck] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def missing(self) -> list[str]:
        """The failed checks' explanations."""
        return [c.detail for c in self.checks if not c.passed]

    def explain(self) -> str:
        """A few lines for a person: the verdict, then what is missing."""
        verdict = "ALLOWED" if self.allowed else "REFUSED"
        head = (
            f"{verdict}: {self.system_id} {self.system_version} {self.current.value} -> {self.target.value}"
        )
        lines = [head]
        lines += [f"  {'ok  ' if c.passed else 'MISSING'} {c.detail}" for c in self.checks]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "system": self.system_id,
            "version": self.system_version,
            "from": self.current.value,
            "to": self.target.value,
            "allowed": self.allowed,
            "missing": self.missing,
            "checks": [c.to_dict() for c in self.checks],
        }


def pinned_version(system: AISystem, subject: str) -> str | None:
    """The version the system pins for ``model:NAME`` or ``guardrail:ID``, if it names that subject."""
    kind, _, name = subject.partition(":")
    if kind == "model":
        return next((m.version for m in system.models if m.name == name), None)
    if kind == "guardrail":
        return next((g.version for g in system.guardrails if g.id == name), None)
    return None


def latest_evidence(
    system: AISystem, requirement: EvidenceRequirement, evidence: Sequence[Evidence]
) -> Evidence | None:
    """The newest evidence for this system version that a requirement would look at.

    With a ``subject``, only evidence about it counts, and only about the version the system pins.
    """
    pinned = pinned_version(system, requirement.subject) if requirement.subject else None
    matching = [
        e
        for e in evidence
        if e.system_id == system.id
        and e.system_version == system.version
        and e.kind is requirement.kind
        and (requirement.name is None or e.name == requirement.name)
        and (requirement.subject is None or e.subject == requirement.subject)
        and (pinned is None or e.subject_version == pinned)
    ]
    return max(matching, key=lambda e: (e.recorded_at, e.id), default=None)


def _requirement_checks(
    system: AISystem, req: EvidenceRequirement, evidence: Sequence[Evidence], now: dt.datetime
) -> list[GateCheck]:
    label = req.describe()
    found = latest_evidence(system, req, evidence)
    if found is None:
        pinned = pinned_version(system, req.subject) if req.subject else None
        what = f"{label} {pinned}" if pinned else label
        return [GateCheck(f"evidence:{label}", False, f"no {what} recorded for version {system.version}")]
    when = found.recorded_at.date().isoformat()
    age = found.age_days(now)
    checks = []
    if age > req.max_age_days:
        checks.append(
            GateCheck(
                f"fresh:{label}",
                False,
                f"{label} {found.id} from {when} is {age:.0f} days old, over the limit of {req.max_age_days}",
                found.id,
            )
        )
    else:
        checks.append(GateCheck(f"fresh:{label}", True, f"{label} {found.id} recorded {when}", found.id))
    if found.passed is False:
        checks.append(GateCheck(f"outcome:{label}", False, f"{label} {found.id} records a failure", found.id))
    for threshold in req.parsed_thresholds():
        if threshold.metric.startswith(EVERY_CATEGORY):
            checks.append(_every_category_check(threshold, found, label, when))
            continue
        actual = lookup_metric(threshold.metric, found.metrics, found.slices)
        if actual is None:
            checks.append(
                GateCheck(
                    f"threshold:{threshold}",
                    False,
                    f"{label} {found.id} has no metric {threshold.metric!r} for {threshold}",
                    found.id,
                )
            )
            continue
        ok = threshold.holds(actual)
        checks.append(
            GateCheck(
                f"threshold:{threshold}",
                ok,
                f"{threshold.metric} = {actual:.4g} ({'meets' if ok else 'fails'} {threshold}; {found.id}, {when})",
                found.id,
            )
        )
    checks.extend(_fairness_checks(req, found, label, when))
    return checks


#: ``every_category.METRIC <= X``: the threshold must hold in each category the evidence
#: reports (``steward redteam``'s attack success per category, for example).
EVERY_CATEGORY = "every_category."


def _every_category_check(threshold: Threshold, found: Evidence, label: str, when: str) -> GateCheck:
    """One check over every category of ``found``; a failure names each category that fails."""
    name = f"threshold:{threshold}"
    metric = threshold.metric.removeprefix(EVERY_CATEGORY)
    if not metric:
        return GateCheck(name, False, f"{threshold} names no metric after {EVERY_CATEGORY!r}", found.id)
    if metric.endswith("_rate") and not 0 <= threshold.value <= 1:
        detail = (
            f"{threshold} compares a rate, which lies between 0 and 1, with {threshold.value:g} "
            "(write 5% as 0.05)"
        )
        return GateCheck(name, False, detail, found.id)
    values = {c: m[metric] for c, m in found.categories.items() if metric in m}
    if not values:
        return GateCheck(
            name, False, f"{label} {found.id} has no per-category {metric!r} for {threshold}", found.id
        )
    failing = sorted(c for c, v in values.items() if not threshold.holds(v))
    if failing:
        shown = ", ".join(f"{c} = {values[c]:.4g}" for c in failing[:10]) + (
            " ..." if len(failing) > 10 else ""
        )
        detail = f"{metric} fails {threshold} in {len(failing)} of {len(values)} categories: {shown} ({found.id}, {when})"
        return GateCheck(name, False, detail, found.id)
    pick = max if threshold.op in ("<=", "<") else min
    worst = pick(values, key=lambda c: values[c])
    detail = (
        f"{metric} meets {threshold} in all {len(values)} categories "
        f"(worst {worst} = {values[worst]:.4g}; {found.id}, {when})"
    )
    return GateCheck(name, True, detail, found.id)


def _consequential_checks(system: AISystem, risks: Sequence[Risk], today: dt.date) -> list[GateCheck]:
    why = (
        ", ".join(d.value for d in system.consequential_domains) or f"EU AI Act {system.eu_ai_act_tier.value}"
    )
    checks = []
    if system.human_oversight is HumanOversight.NONE:
        checks.append(
            GateCheck(
                "human-oversight",
                False,
                f"human oversight is 'none', but the system supports consequential decisions ({why})",
            )
        )
    else:
        checks.append(GateCheck("human-oversight", True, f"human oversight: {system.human_oversight.value}"))
    if not system.release_requirements:
        checks.append(
            GateCheck(
                "release-requirements",
                False,
                "no release_requirements are defined for a system that supports consequential decisions",
            )
        )
    own = [r for r in risks if r.system_id == system.id]
    if not own:
        checks.append(
            GateCheck("risk-assessment", False, "no risks are registered: the risk assessment is missing")
        )
        return checks
    gaps = [gap for risk in own for gap in risk.assessment_gaps(today)]
    if gaps:
        checks += [GateCheck("risk-assessment", False, gap) for gap in gaps]
    else:
        checks.append(
            GateCheck(
                "risk-assessment", True, f"risk assessment complete: {len(own)} risk(s) treated and reviewed"
            )
        )
    return checks


def _guardrail_checks(system: AISystem, known: Collection[tuple[str, str]]) -> list[GateCheck]:
    checks = []
    for ref in system.guardrails:
        name = f"guardrail:{ref.id}"
        if ref.version == "DRAFT":
            detail = (
                f"guardrail {ref.id!r} is referenced at DRAFT, which can change: freeze a version "
                f"(steward guardrail version {ref.id}) and reference its number"
            )
            checks.append(GateCheck(name, False, detail))
        elif (ref.id, ref.version) not in known:
            checks.append(
                GateCheck(
                    name, False, f"guardrail {ref.id!r} version {ref.version} is not in the guard's store"
                )
            )
        else:
            checks.append(GateCheck(name, True, f"guardrail {ref.id!r} version {ref.version} is in place"))
    return checks


def _fairness_value(found: Evidence, attribute: str, metric: str) -> tuple[float, str] | None:
    """A fairness figure for ``attribute`` and how it was found, or ``None`` when the evidence lacks it.

    ``steward fairness`` records ``ATTRIBUTE.METRIC`` with its interval; other evidence with
    per-group slices (``steward eval``'s ``by_group``) gives the figure from its groups instead.
    """
    key = f"{attribute}.{metric}"
    if key in found.metrics:
        low, high = found.metrics.get(f"{key}.ci95_low"), found.metrics.get(f"{key}.ci95_high")
        interval = f"95% CI {low:.2f}-{high:.2f}" if low is not None and high is not None else "no interval"
        return found.metrics[key], interval
    if metric == "demographic_parity_ratio":
        ratio = lookup_metric(f"group_ratio[{attribute}].selection_rate", found.metrics, found.slices)
        return None if ratio is None else (ratio, "from the per-group slices, no interval")
    gaps = [
        lookup_metric(f"group_gap[{attribute}].{rate}", found.metrics, found.slices)
        for rate in ("tpr", "recall", "fpr")
    ]
    tpr_gap = gaps[0] if gaps[0] is not None else gaps[1]
    if tpr_gap is None or gaps[2] is None:
        return None
    return max(tpr_gap, gaps[2]), "from the per-group slices, no interval"


def _fairness_checks(req: EvidenceRequirement, found: Evidence, label: str, when: str) -> list[GateCheck]:
    """One check per fairness limit; the detail names the attribute, the figure and the limit."""
    checks = []
    for limit in req.protected_attributes:
        checks += _limit_checks(limit, found, label, when)
    return checks


def _limit_checks(limit: ProtectedAttributeLimit, found: Evidence, label: str, when: str) -> list[GateCheck]:
    wanted = [
        (
            "demographic_parity_ratio",
            "selection-rate ratio (disparate impact)",
            limit.min_selection_rate_ratio,
            True,
        ),
        (
            "equalized_odds_difference",
            "equalized odds difference",
            limit.max_equalized_odds_difference,
            False,
        ),
    ]
    checks = []
    for metric, words, bound, is_floor in wanted:
        if bound is None:
            continue
        name = f"fairness:{limit.attribute}.{metric}"
        got = _fairness_value(found, limit.attribute, metric)
        if got is None:
            detail = (
                f"{label} {found.id} has no {words} for {limit.attribute!r} (measure it with "
                f"steward fairness --group {limit.attribute}; too few estimable groups also leave it out)"
            )
            checks.append(GateCheck(name, False, detail, found.id))
            continue
        value, how = got
        ok = value >= bound if is_floor else value <= bound
        relation = (
            ("meets the floor of" if ok else "is under the floor of")
            if is_floor
            else ("is within the limit of" if ok else "is over the limit of")
        )
        detail = f"{limit.attribute}: {words} {value:.2f} ({how}) {relation} {bound:g} ({found.id}, {when})"
        checks.append(GateCheck(name, ok, detail, found.id))
    return checks


def evaluate_gate(
    system: AISystem,
    target: Lifecycle,
    *,
    risks: Sequence[Risk],
    evidence: Sequence[Evidence],
    now: dt.datetime,
    guardrail_versions: Collection[tuple[str, str]] | None = None,
) -> GateDecision:
    """Decide whether ``system`` may move to ``target`` now; statuses outside the gate always may.

    ``guardrail_versions`` holds the ``(guardrail id, version number)`` pairs the guard's store
    has; given, every guardrail the system names must be one of them (a DRAFT never is).
    """
    decision = GateDecision(system.id, system.version, system.status, target)
    if target not in GATED_STATUSES:
        decision.checks.append(GateCheck("ungated", True, f"{target.value} is not gated"))
        return decision
    if system.eu_ai_act_tier is EuAiActTier.PROHIBITED:
        decision.checks.append(
            GateCheck(
                "eu-ai-act-tier", False, "the system is in the EU AI Act's prohibited tier and may not deploy"
            )
        )
    for req in system.release_requirements:
        decision.checks.extend(_requirement_checks(system, req, evidence, now))
    if guardrail_versions is not None:
        decision.checks.extend(_guardrail_checks(system, guardrail_versions))
    if system.consequential:
        decision.checks.extend(_consequential_checks(system, risks, now.date()))
    if not decision.checks:
        decision.checks.append(GateCheck("requirements", True, "no release requirements apply"))
    return decision
