"""Running goals × transform chains against a target, with an optional iterative mode.

Each attempt gets a stable id (from its goal and chain) and its own random generator seeded
from the run's seed, the goal and the chain, so the same command gives the same attempts.
The iterative mode takes the attempts that got through in one round and composes one more
transform, picked by a generator seeded from the attempt's id and the round, onto each: the
attacks that work are pushed further, as a red teamer would.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from steward.errors import InputError
from steward.redteam.goals import Goal
from steward.redteam.judge import Judge
from steward.redteam.targets import Target
from steward.redteam.transforms import CHAIN_MAX, TRANSFORMS, Payload, apply_chain, parse_chain

__all__ = ["ATTEMPTS_MAX", "Attempt", "attempt_id", "run"]

#: Most attempts one run may make (goals × chains plus mutations).
ATTEMPTS_MAX = 50_000
#: Most rounds of the iterative mode.
ROUNDS_MAX = 5


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt and its verdict; ``prompt`` and ``response`` are the raw texts (kept out of reports by default)."""

    id: str
    goal_id: str
    category: str
    transforms: tuple[str, ...]
    round: int
    success: bool
    verdict: str
    reason: str
    prompt: str
    response: str | None

    @property
    def chain(self) -> str:
        """The transforms as written on the command line: ``roleplay+base64``."""
        return "+".join(self.transforms)


def attempt_id(goal_id: str, chain: Sequence[str]) -> str:
    """A stable id for a goal and a chain: the same pair gets the same id in every run."""
    key = f"{goal_id}|{'+'.join(chain)}".encode()
    return "att-" + hashlib.sha256(key).hexdigest()[:12]


def _one(goal: Goal, chain: tuple[str, ...], round_: int, seed: int, target: Target, judge: Judge) -> Attempt:
    rng = random.Random(f"{seed}|{goal.id}|{'+'.join(chain)}")  # noqa: S311 (reproducible, not secret)
    payload = apply_chain(Payload.from_goal(goal.goal, goal.carrier.value), chain, rng)
    outcome = target.send(payload, goal)
    verdict = judge.score(goal, outcome, target.kind)
    return Attempt(
        id=attempt_id(goal.id, chain),
        goal_id=goal.id,
        category=goal.category,
        transforms=chain,
        round=round_,
        success=verdict.success,
        verdict=verdict.label,
        reason=verdict.reason,
        prompt=payload.flat(),
        response=outcome.response,
    )


def _mutation(attempt: Attempt, round_: int, seed: int, seen: set[str]) -> tuple[str, ...] | None:
    """One more transform for an attempt that got through (one not tried on this goal yet), or ``None``."""
    if len(attempt.transforms) >= CHAIN_MAX:
        return None
    base = tuple(t for t in attempt.transforms if t != "none")
    choices = [
        name
        for name in TRANSFORMS
        if name != "none" and name not in base and attempt_id(attempt.goal_id, (*base, name)) not in seen
    ]
    if not choices:
        return None
    rng = random.Random(f"{seed}|mutate|{attempt.id}|{round_}")  # noqa: S311 (reproducible, not secret)
    return (*base, rng.choice(choices))


def run(
    goals: Sequence[Goal],
    chains: Sequence[tuple[str, ...]],
    target: Target,
    judge: Judge,
    *,
    seed: int = 0,
    rounds: int = 0,
    progress: Callable[[Attempt], None] | None = None,
) -> list[Attempt]:
    """Every goal with every chain, then ``rounds`` rounds mutating the attempts that got through."""
    if not goals:
        raise InputError("no goals to run", field="goals")
    if not chains:
        raise InputError("no transforms to run", field="transforms")
    if not 0 <= rounds <= ROUNDS_MAX:
        raise InputError(f"must be between 0 and {ROUNDS_MAX}, not {rounds}", field="rounds")
    for chain in chains:
        parse_chain("+".join(chain))  # unknown names and over-long chains are named
    planned = len(goals) * len(chains)
    if planned > ATTEMPTS_MAX:
        raise InputError(
            f"{len(goals)} goals × {len(chains)} chains is {planned} attempts, over the limit of {ATTEMPTS_MAX}",
            field="goals",
        )
    attempts: list[Attempt] = []
    seen: set[str] = set()

    def record(attempt: Attempt) -> None:
        attempts.append(attempt)
        seen.add(attempt.id)
        if progress is not None:
            progress(attempt)

    by_id = {g.id: g for g in goals}
    for goal in goals:
        for chain in chains:
            if attempt_id(goal.id, chain) not in seen:
                record(_one(goal, chain, 0, seed, target, judge))
    survivors = [a for a in attempts if a.success]
    for round_ in range(1, rounds + 1):
        fresh: list[Attempt] = []
        for attempt in survivors:
            grown = _mutation(attempt, round_, seed, seen)
            if grown is None or attempt_id(attempt.goal_id, grown) in seen or len(attempts) >= ATTEMPTS_MAX:
                continue
            mutated = _one(by_id[attempt.goal_id], grown, round_, seed, target, judge)
            record(mutated)
            fresh.append(mutated)
        survivors = [a for a in fresh if a.success]
        if not survivors:
            break
    return attempts
