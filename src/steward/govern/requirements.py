"""What evidence a release needs: kinds, maximum age and metric thresholds such as ``recall >= 0.9``.

Thresholds are short strings so they read well in YAML and pull-request diffs. A metric
name is looked up in an evidence record's metrics (``recall``), one group slice
(``group[sex=Female].recall``), or across its slices (``min_group.recall``,
``max_group.fpr``, ``group_gap.selection_rate`` = max − min, ``group_ratio.selection_rate`` =
min / max, the four-fifths rule's ratio). An aggregate may be limited to one attribute's
slices (named ``attribute=group`` or ``attribute:group``): ``group_ratio[sex].selection_rate``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

__all__ = [
    "EvidenceKind",
    "EvidenceRequirement",
    "ProtectedAttributeLimit",
    "Threshold",
    "lookup_metric",
    "parse_threshold",
    "split_slice",
]


class EvidenceKind(StrEnum):
    """What a piece of evidence is."""

    EVALUATION = "evaluation"
    RED_TEAM = "red-team"
    FAIRNESS = "fairness"
    DATASET_SCAN = "dataset-scan"
    REVIEW = "review"
    ATTESTATION = "attestation"
    #: How a model reaches its outputs: permutation importance, SHAP values (``steward explain``).
    EXPLANATION = "explanation"


#: Longest threshold expression accepted (``group_ratio[attribute].metric >= 0.8`` is ~40).
THRESHOLD_MAX_CHARS = 200

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_THRESHOLD_RE = re.compile(
    r"^\s*(?P<metric>(?:[^<>=!\[\]\s]|\[[^\]]*\])+)\s*(?P<op>>=|<=|==|>|<)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_GROUP_RE = re.compile(r"^group\[(?P<slice>[^\]]+)\]\.(?P<metric>.+)$")
_AGGREGATE_RE = re.compile(
    r"^(?P<agg>min_group|max_group|group_gap|group_ratio)(?:\[(?P<attribute>[^\]]+)\])?\.(?P<metric>.+)$"
)


@dataclass(frozen=True, slots=True)
class Threshold:
    """One parsed threshold: ``metric op value``."""

    metric: str
    op: str
    value: float

    def holds(self, actual: float) -> bool:
        """Whether a measured value meets the threshold."""
        return _OPS[self.op](actual, self.value)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def parse_threshold(text: str) -> Threshold:
    """Parse ``recall >= 0.9``; raise :class:`ValueError` saying what a threshold looks like."""
    match = _THRESHOLD_RE.match(text) if len(text) <= THRESHOLD_MAX_CHARS else None
    if match is None:
        raise ValueError(f"{text!r} is not a threshold like 'recall >= 0.9' (operators: >=, <=, >, <, ==)")
    value = float(match["value"])
    if not math.isfinite(value):
        raise ValueError(f"{text!r} has a value that is not a finite number")
    return Threshold(match["metric"], match["op"], value)


def lookup_metric(
    name: str, metrics: Mapping[str, float], slices: Mapping[str, Mapping[str, float]]
) -> float | None:
    """The value of ``name`` in one evidence record, or ``None`` when it has no such metric."""
    if name in metrics:
        return metrics[name]
    group = _GROUP_RE.match(name)
    if group is not None:
        return slices.get(group["slice"], {}).get(group["metric"])
    aggregate = _AGGREGATE_RE.match(name)
    if aggregate is None:
        return None
    metric, attribute = aggregate["metric"], aggregate["attribute"]
    values = [
        s[metric]
        for slice_name, s in slices.items()
        if metric in s and (attribute is None or split_slice(slice_name)[0] == attribute)
    ]
    if not values:
        return None
    low, high = min(values), max(values)
    head = aggregate["agg"]
    if head == "min_group":
        return low
    if head == "max_group":
        return high
    if head == "group_gap":
        return high - low
    return low / high if high else 1.0


def split_slice(name: str) -> tuple[str | None, str]:
    """``sex=Female`` (or ``religion:Muslim``, as ``steward eval`` writes) -> (attribute, group)."""
    for sep in ("=", ":"):
        attribute, found, group = name.partition(sep)
        if found and attribute and group:
            return attribute, group
    return None, name


class ProtectedAttributeLimit(BaseModel):
    """Fairness limits on one protected attribute, checked against ``steward fairness`` evidence.

    ``min_selection_rate_ratio`` is a disparate-impact floor: the lowest group's selection rate over
    the highest's (0.8 is the four-fifths rule). ``max_equalized_odds_difference`` caps the larger of
    the groups' TPR and FPR gaps. Groups too small to estimate do not count either way.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    attribute: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    min_selection_rate_ratio: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False, strict=True)
    max_equalized_odds_difference: float | None = Field(
        default=None, ge=0, le=1, allow_inf_nan=False, strict=True
    )

    @model_validator(mode="after")
    def _some_limit(self) -> ProtectedAttributeLimit:
        if self.min_selection_rate_ratio is None and self.max_equalized_odds_difference is None:
            raise ValueError(
                f"attribute {self.attribute!r} sets no limit: give min_selection_rate_ratio, "
                "max_equalized_odds_difference or both"
            )
        return self


class EvidenceRequirement(BaseModel):
    """Evidence a system version needs before it may deploy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EvidenceKind
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = (
        Field(default=None, description="match only evidence with this name")
    )
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = (
        Field(
            default=None,
            description="match only evidence about this subject (model:NAME, guardrail:ID); when the system "
            "pins that model or guardrail, only evidence about the pinned version counts",
        )
    )
    max_age_days: int = Field(default=90, ge=1, le=3650, strict=True)
    thresholds: list[Annotated[str, StringConstraints(max_length=THRESHOLD_MAX_CHARS)]] = Field(
        default_factory=list, max_length=50
    )

    protected_attributes: list[ProtectedAttributeLimit] = Field(
        default_factory=list,
        max_length=50,
        description="fairness limits per protected attribute (fairness or evaluation evidence only)",
    )

    @field_validator("thresholds")
    @classmethod
    def _parse_each(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_threshold(text)
        return value

    @model_validator(mode="after")
    def _fairness_limits_fit(self) -> EvidenceRequirement:
        if not self.protected_attributes:
            return self
        if self.kind not in (EvidenceKind.FAIRNESS, EvidenceKind.EVALUATION):
            raise ValueError(
                f"protected_attributes apply to fairness or evaluation evidence, not {self.kind.value!r}"
            )
        names = [limit.attribute for limit in self.protected_attributes]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"protected_attributes lists {', '.join(map(repr, repeated))} more than once")
        return self

    def parsed_thresholds(self) -> list[Threshold]:
        """The thresholds, parsed."""
        return [parse_threshold(t) for t in self.thresholds]

    def describe(self) -> str:
        """A short label such as ``evaluation 'guard eval'``."""
        label = f"{self.kind.value} evidence" + (f" {self.name!r}" if self.name else "")
        return label + (f" about {self.subject}" if self.subject else "")
