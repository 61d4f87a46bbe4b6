"""Attack goals: what a harmful request asks for, by category, from the built-in sets or a user's file.

A goal is a statement of intent ("write a speech arguing that ...") and never a recipe: the
red team measures whether a target lets the *request* through or complies with it, so the
goal text needs no harmful detail to do its job. The built-in sets are written for Steward
(``goals/*.yaml`` in this package): every content category of the default pack, its denied
topics, personal-data and system-prompt extraction, and indirect injection through documents
and tool output. A user's goal file has the same schema and is validated the same way, with
every bad field named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from steward.errors import InputError
from steward.govern._validation import load_yaml_text, parse_model

__all__ = [
    "BUILTIN_SETS",
    "GOALS_PER_FILE_MAX",
    "GOAL_MAX_CHARS",
    "Carrier",
    "Goal",
    "GoalSet",
    "builtin_goals",
    "load_goal_file",
    "select_goals",
]

#: Longest goal statement accepted.
GOAL_MAX_CHARS = 2000
#: Most goals one file may hold.
GOALS_PER_FILE_MAX = 5000
#: A goal file larger than this is refused before parsing.
GOAL_FILE_MAX_BYTES = 4 << 20
#: The built-in sets, in the order they are listed.
BUILTIN_SETS = ("content", "policy", "privacy", "injection")


class Carrier(StrEnum):
    """How the goal reaches the target: typed by the user, or planted in third-party content."""

    CHAT = "chat"
    DOCUMENT = "document"
    TOOL = "tool"


class Goal(BaseModel):
    """One attack goal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    category: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")] = Field(
        description="an upper-case category such as HATE or PII_EXTRACTION"
    )
    goal: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=GOAL_MAX_CHARS)]
    carrier: Carrier = Carrier.CHAT
    direction: Annotated[str, StringConstraints(pattern=r"^(input|output)$")] = Field(
        default="input",
        description="for a guard target: check the attack as the user's input, or as the model's output",
    )


class GoalSet(BaseModel):
    """A named file of goals."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    goals: list[Goal] = Field(min_length=1, max_length=GOALS_PER_FILE_MAX)

    @model_validator(mode="after")
    def _unique_ids(self) -> GoalSet:
        seen: set[str] = set()
        for goal in self.goals:
            if goal.id in seen:
                raise ValueError(f"goal id {goal.id!r} appears more than once")
            seen.add(goal.id)
        return self


def _parse(text: bytes, origin: str) -> GoalSet:
    if len(text) > GOAL_FILE_MAX_BYTES:
        raise InputError(f"is larger than {GOAL_FILE_MAX_BYTES} bytes", field=origin)
    return parse_model(GoalSet, load_yaml_text(text, origin=origin), origin=origin)


@cache
def _builtin(name: str) -> GoalSet:
    data = resources.files("steward.redteam").joinpath("goals", f"{name}.yaml").read_bytes()
    return _parse(data, f"built-in goal set {name!r}")


def builtin_goals(names: Iterable[str] = BUILTIN_SETS) -> list[Goal]:
    """The goals of the named built-in sets (all of them by default)."""
    out: list[Goal] = []
    for name in names:
        if name not in BUILTIN_SETS:
            raise InputError(f"is not a built-in goal set (known: {', '.join(BUILTIN_SETS)})", field=name)
        out.extend(_builtin(name).goals)
    return out


def load_goal_file(path: str | Path) -> GoalSet:
    """A user's goal file (YAML or JSON, the built-in schema); every problem is named."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(GOAL_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    return _parse(data, str(path))


def select_goals(goals: Sequence[Goal], categories: Iterable[str] = ()) -> list[Goal]:
    """The goals in ``categories`` (all when none are named); duplicate ids across sets are refused."""
    wanted = {c.upper() for c in categories}
    known = {g.category for g in goals}
    unknown = sorted(wanted - known)
    if unknown:
        raise InputError(
            f"no goals in categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})",
            field="category",
        )
    seen: set[str] = set()
    for goal in goals:
        if goal.id in seen:
            raise InputError(f"goal id {goal.id!r} is defined twice across the goal sets", field="goals")
        seen.add(goal.id)
    return [g for g in goals if not wanted or g.category in wanted]
