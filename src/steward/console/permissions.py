"""What each role may do in the console: the same split as the API's routers.

One table so navigation (what is shown) and routes (what answers 403) cannot disagree. The
roles per action mirror the API: monitoring reports, drift and alerts are for auditors, guardrail reads and
the audit trail, feedback, appeals and the governance register for reviewers and auditors, the review queue for reviewers, moving an alias, editing a DRAFT, writing alert rules and managing keys for admins only; admin may do
everything. The playground is a dry run (nothing stored), open to every console role.
"""

from __future__ import annotations

from enum import StrEnum

from steward.store.keys import Role

__all__ = ["CONSOLE_ROLES", "Action", "may"]


class Action(StrEnum):
    """Things a console user can do."""

    OVERVIEW = "overview"
    GUARDRAILS = "guardrails"
    MOVE_ALIAS = "move_alias"
    PLAYGROUND = "playground"
    AUDIT = "audit"
    REVIEW = "review"
    KEYS = "keys"
    FEEDBACK = "feedback"
    MONITORING = "monitoring"
    GOVERNANCE = "governance"
    EDIT_DRAFT = "edit_draft"
    EDIT_RULES = "edit_rules"


#: Roles that may sign in to the console at all (``app`` keys belong to applications).
CONSOLE_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.AUDITOR})

_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.OVERVIEW: frozenset({Role.AUDITOR}),
    Action.GUARDRAILS: frozenset({Role.AUDITOR, Role.REVIEWER}),
    Action.MOVE_ALIAS: frozenset(),
    Action.PLAYGROUND: frozenset({Role.AUDITOR, Role.REVIEWER}),
    Action.AUDIT: frozenset({Role.AUDITOR, Role.REVIEWER}),
    Action.REVIEW: frozenset({Role.REVIEWER}),
    Action.KEYS: frozenset(),
    Action.FEEDBACK: frozenset({Role.AUDITOR, Role.REVIEWER}),
    Action.MONITORING: frozenset({Role.AUDITOR}),
    Action.GOVERNANCE: frozenset({Role.AUDITOR, Role.REVIEWER}),
    Action.EDIT_DRAFT: frozenset(),
    Action.EDIT_RULES: frozenset(),
}


def may(role: Role, action: Action) -> bool:
    """Whether ``role`` may do ``action`` (admin may do everything)."""
    return role is Role.ADMIN or role in _ALLOWED[action]
