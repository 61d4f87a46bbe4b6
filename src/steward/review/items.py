"""The vocabulary of the review queue: states, reasons, outcomes, who acts, and due times.

Due times are set per reason (an appeal or a hand-off is a person waiting; a sampled audit
is not) and can be changed with ``STEWARD_REVIEW_SLA_HOURS`` (``appeal=48,handoff=2``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from steward.errors import InputError

__all__ = ["DEFAULT_SLA_HOURS", "Outcome", "Reason", "Reviewer", "SlaSettings", "State"]


class State(StrEnum):
    """Where an item stands: open → claimed → resolved, or escalated (to an admin)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    ESCALATED = "escalated"

    @classmethod
    def parse(cls, value: str) -> State:
        """The state named ``value``; :class:`InputError` listing the states otherwise."""
        try:
            return cls(value.lower())
        except ValueError:
            raise InputError(
                f"unknown state {value!r}; states: {', '.join(s.value for s in cls)}", field="state"
            ) from None


class Reason(StrEnum):
    """Why an item entered the queue."""

    POLICY_REVIEW = "policy_review"
    CONSEQUENTIAL_SYSTEM = "consequential_system"
    APPEAL = "appeal"
    HANDOFF = "handoff"
    SAMPLED_AUDIT = "sampled_audit"
    #: A red-team attempt filed by ``steward redteam run --review``: the label says whether the
    #: attack got through (1) or the target held (0), not whether the text should be caught.
    RED_TEAM = "red_team"

    @classmethod
    def parse(cls, value: str) -> Reason:
        """The reason named ``value``; :class:`InputError` listing the reasons otherwise."""
        try:
            return cls(value.lower())
        except ValueError:
            raise InputError(
                f"unknown reason {value!r}; reasons: {', '.join(r.value for r in cls)}", field="reason"
            ) from None


class Outcome(StrEnum):
    """A reviewer's verdict: the decision was right (confirmed) or wrong (overturned)."""

    CONFIRMED = "confirmed"
    OVERTURNED = "overturned"


@dataclass(frozen=True, slots=True)
class Reviewer:
    """The key acting on the queue; admins may also take escalated items (their verdict is final)."""

    key_id: str
    admin: bool = False


#: Hours from creation to due, per reason.
DEFAULT_SLA_HOURS: dict[Reason, float] = {
    Reason.POLICY_REVIEW: 24.0,
    Reason.CONSEQUENTIAL_SYSTEM: 24.0,
    Reason.APPEAL: 72.0,
    Reason.HANDOFF: 4.0,
    Reason.SAMPLED_AUDIT: 168.0,
    Reason.RED_TEAM: 168.0,
}


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """Hours to resolve an item, per reason."""

    hours: dict[Reason, float] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))

    def due(self, reason: Reason, created: datetime) -> datetime:
        """When an item of ``reason`` created at ``created`` is due."""
        return created + timedelta(hours=self.hours.get(reason, DEFAULT_SLA_HOURS[reason]))

    @classmethod
    def parse(cls, spec: str) -> SlaSettings:
        """``appeal=48,handoff=2`` over the defaults; :class:`InputError` naming a bad entry."""
        hours = dict(DEFAULT_SLA_HOURS)
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, eq, value = part.partition("=")
            if not eq:
                raise InputError(f"entry {part!r} is not REASON=HOURS", field="STEWARD_REVIEW_SLA_HOURS")
            try:
                number = float(value)
            except ValueError:
                raise InputError(
                    f"{value!r} is not a number of hours", field="STEWARD_REVIEW_SLA_HOURS"
                ) from None
            if not 0 < number <= 24 * 365:
                raise InputError(f"{number} hours is outside 0-8760", field="STEWARD_REVIEW_SLA_HOURS")
            hours[Reason.parse(name.strip())] = number
        return cls(hours)

    @classmethod
    def from_env(cls) -> SlaSettings:
        """The defaults, changed by ``STEWARD_REVIEW_SLA_HOURS`` where it is set."""
        return cls.parse(os.environ.get("STEWARD_REVIEW_SLA_HOURS", ""))
