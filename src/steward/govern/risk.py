"""The risk register: risks scored by severity × likelihood, before and after treatment.

Both scales run 1–5. A score is their product (1–25) and falls in one rating band:

| rating   | score  |
|----------|--------|
| low      | 1–4    |
| medium   | 5–9    |
| high     | 10–16  |
| critical | 20–25  |

A risk is *assessed* once it has a treatment, a residual severity and likelihood, and a
named reviewer with a review date; a consequential system cannot deploy until every risk is.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from steward.govern.inventory import ID_PATTERN, LIST_MAX, Name, Text

__all__ = ["RATING_BANDS", "Mitigation", "Rating", "Risk", "Treatment", "rating_for", "score_of"]

Scale = Annotated[int, Field(ge=1, le=5, strict=True)]


class Rating(StrEnum):
    """A risk score's band."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


#: Lowest score of each band, highest band first.
RATING_BANDS: tuple[tuple[int, Rating], ...] = (
    (20, Rating.CRITICAL),
    (10, Rating.HIGH),
    (5, Rating.MEDIUM),
    (1, Rating.LOW),
)


class Treatment(StrEnum):
    """What the organisation decided to do about a risk."""

    MITIGATE = "mitigate"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    AVOID = "avoid"


def score_of(severity: int, likelihood: int) -> int:
    """Severity × likelihood."""
    return severity * likelihood


def rating_for(score: int) -> Rating:
    """The rating band of a 1–25 score."""
    for floor, rating in RATING_BANDS:
        if score >= floor:
            return rating
    raise ValueError(f"a risk score runs from 1 to 25, not {score}")


class Mitigation(BaseModel):
    """One measure taken against a risk, linked to the catalogue controls it implements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: Text
    controls: list[Name] = Field(default_factory=list, max_length=LIST_MAX)


class Risk(BaseModel):
    """One entry of a system's risk register."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)]
    system_id: Annotated[str, StringConstraints(pattern=ID_PATTERN)]
    title: Name
    description: Text
    category: Name | None = Field(default=None, description="a catalogue risk, e.g. nist-genai:GAI-2")
    stakeholders: list[Name] = Field(min_length=1, max_length=LIST_MAX)
    severity: Scale
    likelihood: Scale
    treatment: Treatment | None = None
    mitigations: list[Mitigation] = Field(default_factory=list, max_length=LIST_MAX)
    residual_severity: Scale | None = None
    residual_likelihood: Scale | None = None
    owner: Name
    review_date: dt.date | None = Field(default=None, description="when the risk is next due for review")
    reviewed_by: Name | None = None
    reviewed_on: dt.date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Risk:
        if (self.residual_severity is None) != (self.residual_likelihood is None):
            raise ValueError("give residual_severity and residual_likelihood together")
        if self.residual_score is not None and self.residual_score > self.inherent_score:
            raise ValueError(
                f"residual score {self.residual_score} is above the inherent score {self.inherent_score}"
            )
        if self.treatment is Treatment.MITIGATE and not self.mitigations:
            raise ValueError("treatment 'mitigate' needs at least one mitigation")
        if (self.reviewed_by is None) != (self.reviewed_on is None):
            raise ValueError("give reviewed_by and reviewed_on together")
        return self

    @property
    def inherent_score(self) -> int:
        """Severity × likelihood before treatment."""
        return score_of(self.severity, self.likelihood)

    @property
    def inherent_rating(self) -> Rating:
        """The inherent score's band."""
        return rating_for(self.inherent_score)

    @property
    def residual_score(self) -> int | None:
        """Severity × likelihood after treatment, once estimated."""
        if self.residual_severity is None or self.residual_likelihood is None:
            return None
        return score_of(self.residual_severity, self.residual_likelihood)

    @property
    def residual_rating(self) -> Rating | None:
        """The residual score's band, once estimated."""
        score = self.residual_score
        return None if score is None else rating_for(score)

    def assessment_gaps(self, today: dt.date) -> list[str]:
        """What keeps this risk from counting as assessed, in words; empty when assessed."""
        gaps = []
        if self.treatment is None:
            gaps.append(f"risk {self.id!r} has no treatment")
        if self.residual_score is None:
            gaps.append(f"risk {self.id!r} has no residual severity and likelihood")
        if self.reviewed_on is None:
            gaps.append(f"risk {self.id!r} has not been reviewed (reviewed_by, reviewed_on)")
        if self.review_date is not None and self.review_date < today:
            gaps.append(f"risk {self.id!r} was due for review on {self.review_date.isoformat()}")
        return gaps
