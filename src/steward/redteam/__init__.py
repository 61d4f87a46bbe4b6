"""Red teaming, offline by default: attack goals × composable transforms against a target, scored and reported.

goals       built-in goal sets written for Steward, and users' goal files
transforms  base64, ROT13, personas, payload splitting, hidden instructions, ... (composable)
targets     a Steward guard directly, or an OpenAI-compatible endpoint (optionally via the proxy)
judge       blocked / refused / harmful / leaked / complied, with a refusal detector
runner      goals × chains, plus an iterative mode that mutates the attempts that got through
report      attack success per category × transform with Wilson 95% intervals; overrides
review      attempts filed in the review queue, reviewers' verdicts read back as overrides
"""

from __future__ import annotations

from steward.redteam.goals import Goal, GoalSet, builtin_goals, load_goal_file
from steward.redteam.judge import Judge, Verdict, is_refusal
from steward.redteam.report import apply_overrides, build_report
from steward.redteam.runner import Attempt, run
from steward.redteam.targets import ChatTarget, GuardTarget, Outcome
from steward.redteam.transforms import TRANSFORMS, Payload, apply_chain, parse_chain

__all__ = [
    "TRANSFORMS",
    "Attempt",
    "ChatTarget",
    "Goal",
    "GoalSet",
    "GuardTarget",
    "Judge",
    "Outcome",
    "Payload",
    "Verdict",
    "apply_chain",
    "apply_overrides",
    "build_report",
    "builtin_goals",
    "is_refusal",
    "load_goal_file",
    "parse_chain",
    "run",
]
