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

from steward.errors import HTTP_STATUS, InputError, PolicyError, StewardError, reported_as

__all__ = ["ERRORS", "ExitCode", "exit_code_for"]


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


def _exit_code(cls: type[StewardError]) -> ExitCode:
    """What HTTP answers with 400 (the caller's mistake) is a policy or input error; the rest is 6."""
    if issubclass(cls, PolicyError):
        return ExitCode.POLICY_ERROR
    if issubclass(cls, InputError):
        return ExitCode.INPUT_ERROR
    return ExitCode.ERROR


#: The exit code of each Steward error the command reports. Every class of :mod:`steward.errors`
#: is listed (those of the shared :data:`steward.errors.HTTP_STATUS`; a test keeps the HTTP tables
#: in step with it: what the API answers with 400 is a policy or input error here); an error takes
#: its nearest listed class.
ERRORS: dict[type[StewardError], ExitCode] = {cls: _exit_code(cls) for cls in HTTP_STATUS}


def exit_code_for(exc: StewardError) -> ExitCode:
    """The exit code for a Steward error: its nearest class in :data:`ERRORS`."""
    return ERRORS[reported_as(exc)]
