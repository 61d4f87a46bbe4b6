"""The vocabulary of the review queue: states, reasons, outcomes, who acts, and due times.

Each reason carries its default due time (an appeal or a hand-off is a person waiting; a
sampled audit is not), in one table: the :class:`Reason` members themselves. The hours can
be changed with ``STEWARD_REVIEW_SLA_HOURS`` (``appeal=48,handoff=2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from steward.errors import InputError

__all__ = ["Outcome", "Reason", "Reviewer", "SlaSettings", "State"]


class _Named(StrEnum):
    """A string enum whose :meth:`parse` names the field (the class name) and the choices."""

    @classmethod
    def parse(cls, value: str) -> Self:
        """The member named ``value`` (any case); :class:`InputError` listing the members otherwise."""
        noun = cls.__name__.lower()
        try:
            return cls(value.lower())
        except ValueError:
            raise InputError(
                f"unknown {noun} {value!r}; {noun}s: {', '.join(m.value for m in cls)}", field=noun
            ) from None


class State(_Named):
    """Where an item stands: open → claimed → resolved, or escalated (to an admin)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class Reason(_Named):
    """Why an item entered the queue, with the hours it is due in unless settings say otherwise."""

    sla_hours: float

    def __new__(cls, value: str, sla_hours: float) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.sla_hours = sla_hours
        return member

    POLICY_REVIEW = ("policy_review", 24.0)
    CONSEQUENTIAL_SYSTEM = ("consequential_system", 24.0)
    APPEAL = ("appeal", 72.0)
    HANDOFF = ("handoff", 4.0)
    SAMPLED_AUDIT = ("sampled_audit", 168.0)
    #: A red-team attempt filed by ``steward redteam run --review``: the label says whether the
    #: attack got through (1) or the target held (0), not whether the text should be caught.
    RED_TEAM = ("red_team", 168.0)


class Outcome(StrEnum):
    """A reviewer's verdict: the decision was right (confirmed) or wrong (overturned)."""

    CONFIRMED = "confirmed"
    OVERTURNED = "overturned"


@dataclass(frozen=True, slots=True)
class Reviewer:
    """The key acting on the queue; admins may also take escalated items (their verdict is final)."""

    key_id: str
    admin: bool = False


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """Hours to resolve an item, per reason (each reason's own default where not set)."""

    hours: dict[Reason, float] = field(default_factory=lambda: {r: r.sla_hours for r in Reason})

    def due(self, reason: Reason, created: datetime) -> datetime:
        """When an item of ``reason`` created at ``created`` is due."""
        return created + timedelta(hours=self.hours.get(reason, reason.sla_hours))

    @classmethod
    def parse(cls, spec: str) -> SlaSettings:
        """``appeal=48,handoff=2`` over the defaults; :class:`InputError` naming a bad entry."""
        hours = {r: r.sla_hours for r in Reason}
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
