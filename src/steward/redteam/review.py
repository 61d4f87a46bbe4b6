"""Red-team attempts through the human review queue: filed by a run, read back as overrides.

The judge's verdict is a machine's call (did the guard block it, did the model refuse, did the
answer comply). ``steward redteam run --review`` files attempts as review items of reason
``red_team`` with their texts sealed like every reviewed text; a reviewer confirms or
overturns them with ``steward review`` (or over HTTP) and ``steward redteam report
--from-review`` recomputes the report with their verdicts in place of the judge's.

An item's label means "the attack got through": the attempts the judge scored as successes
carry a finding marked for review (so *confirm* labels them 1, with the goal's category), the
others none (so *confirm* labels them 0); *overturn* gives the correct label outright. Items
are tied to one run by their request id, ``redteam:<run id>:<attempt id>``, so a verdict on one
run's answer never leaks into another run that reuses the same goal and chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from steward.errors import InputError
from steward.redteam.runner import ATTEMPTS_MAX, Attempt
from steward.review import Reason, ReviewQueue, State
from steward.store.review import ItemRecord

__all__ = [
    "FILE_MAX",
    "Filing",
    "ReviewVerdicts",
    "file_attempts",
    "red_team_items",
    "request_id",
    "verdicts_from_items",
]

#: Most attempts one run may file for review.
FILE_MAX = 5_000
#: Who the item's history says opened it.
ACTOR = "steward redteam"
_PREFIX = "redteam"


class Filing(StrEnum):
    """Which attempts a run files for review."""

    SUCCESSES = "successes"
    FAILURES = "failures"
    ALL = "all"

    def wants(self, attempt: Attempt) -> bool:
        """Whether ``attempt`` is filed under this choice."""
        return self is Filing.ALL or attempt.success is (self is Filing.SUCCESSES)


def request_id(run_id: str, attempt_id: str) -> str:
    """The review item's request id for one attempt of one run."""
    return f"{_PREFIX}:{run_id}:{attempt_id}"


def _text(attempt: Attempt, target_kind: str) -> str:
    head = (
        f"[red-team attempt {attempt.id}: goal {attempt.goal_id}, {attempt.category}, "
        f"transforms {attempt.chain}; judge: {attempt.verdict} — {attempt.reason}]"
    )
    if target_kind == "guard":
        return f"{head}\n\n{attempt.prompt}"
    return f"{head}\n\nPROMPT:\n{attempt.prompt}\n\nRESPONSE:\n{attempt.response or ''}"


def file_attempts(
    queue: ReviewQueue,
    attempts: Sequence[Attempt],
    *,
    run_id: str,
    target_kind: str,
    which: Filing,
) -> list[str]:
    """Open one review item per chosen attempt; the new items' ids.

    The text a reviewer reads is the attempt's prompt (and, for a model, its answer), sealed in
    the queue like any reviewed text; reports stay redacted.
    """
    chosen = [a for a in attempts if which.wants(a)]
    if len(chosen) > FILE_MAX:
        raise InputError(
            f"would file {len(chosen)} attempts, over the limit of {FILE_MAX}; "
            "file successes only or run fewer goals",
            field="--review",
        )
    ids = []
    for attempt in chosen:
        text = _text(attempt, target_kind)
        finding = {
            "type": attempt.category,
            "start": 0,
            "end": len(text),
            "action": "NONE",
            "review": attempt.success,
            "verdict": attempt.verdict,
            "attempt": attempt.id,
            "transforms": attempt.chain,
        }
        ids.append(
            queue.add(
                queue.new_item(
                    Reason.RED_TEAM,
                    request_id=request_id(run_id, attempt.id),
                    source="input" if target_kind == "guard" else "output",
                    action=attempt.verdict[:32],
                    findings=[finding],
                    text=text,
                    actor=ACTOR,
                    policy_name="red team",
                )
            )
        )
    return ids


@dataclass(frozen=True, slots=True)
class ReviewVerdicts:
    """Reviewers' verdicts on one run's attempts: attempt id -> (got through, note); items still open."""

    overrides: dict[str, tuple[bool, str]]
    pending: int


def verdicts_from_items(items: Iterable[ItemRecord], run_id: str) -> ReviewVerdicts:
    """The resolved red-team items of run ``run_id`` as overrides (label 1 = the attack got through)."""
    prefix = request_id(run_id, "")
    overrides: dict[str, tuple[bool, str]] = {}
    pending = 0
    for item in items:
        if item.reason != Reason.RED_TEAM.value or not item.request_id.startswith(prefix):
            continue
        attempt = item.request_id[len(prefix) :]
        if item.state != State.RESOLVED.value or item.label is None:
            pending += 1
            continue
        note = f"review item {item.id}: {item.outcome} by {item.resolved_by}"
        overrides[attempt] = (item.label == 1, note)
    return ReviewVerdicts(overrides, pending)


def red_team_items(queue: ReviewQueue) -> list[ItemRecord]:
    """Every red-team item in the queue, without texts (enough to read verdicts)."""
    return queue.store.list_items(reasons=[Reason.RED_TEAM.value], limit=ATTEMPTS_MAX * 4)
