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

from steward.errors import (
    AuthError,
    ConflictError,
    DetectorUnavailableError,
    InputError,
    InputTooLargeError,
    InvalidSignatureError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    PolicyNotFoundError,
    ShreddedError,
    StewardError,
    StorageError,
    ThrottledError,
    UpstreamError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)

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


#: The exit code of each Steward error the command reports. Every class of :mod:`steward.errors`
#: is listed (a test keeps it so, and keeps it in step with the HTTP tables: what the API answers
#: with 400 is a policy or input error here); an error takes its nearest listed class.
ERRORS: dict[type[StewardError], ExitCode] = {
    StewardError: ExitCode.ERROR,
    PolicyError: ExitCode.POLICY_ERROR,
    PolicyNotFoundError: ExitCode.POLICY_ERROR,
    InputError: ExitCode.INPUT_ERROR,
    InputTooLargeError: ExitCode.INPUT_ERROR,
    DetectorUnavailableError: ExitCode.ERROR,
    StorageError: ExitCode.ERROR,
    NotFoundError: ExitCode.ERROR,
    ConflictError: ExitCode.ERROR,
    ShreddedError: ExitCode.ERROR,
    AuthError: ExitCode.ERROR,
    InvalidSignatureError: ExitCode.ERROR,
    PermissionDeniedError: ExitCode.ERROR,
    ThrottledError: ExitCode.ERROR,
    UpstreamError: ExitCode.ERROR,
    UpstreamRejectedError: ExitCode.ERROR,
    UpstreamTimeoutError: ExitCode.ERROR,
}


def exit_code_for(exc: StewardError) -> ExitCode:
    """The exit code for a Steward error: its nearest class in :data:`ERRORS`."""
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return ExitCode.ERROR
