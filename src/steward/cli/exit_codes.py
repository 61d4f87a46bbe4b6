"""Exit codes scripts can rely on; the README documents the same table.

| code | meaning |
|------|---------|
| 0 | success; for ``check``: nothing to do, the text passes unchanged |
| 1 | ``check``: the guardrail blocked at least one text |
| 2 | usage error: a bad option or argument (click's own convention) |
| 3 | ``check``: the guardrail masked text but blocked none |
| 4 | the policy is invalid or was not found |
| 5 | the input is invalid (bad UTF-8, too large, malformed JSON line) |
| 6 | another Steward error (storage, upstream, a missing model) |
| 7 | a gate failed (``eval --fail-under``, ``card --strict``, a release gate) |
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """Process exit codes of the ``steward`` command."""

    OK = 0
    BLOCKED = 1
    USAGE = 2
    MASKED = 3
    POLICY_ERROR = 4
    INPUT_ERROR = 5
    ERROR = 6
    GATE_FAILED = 7
