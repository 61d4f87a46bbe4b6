"""Compile user-supplied patterns on RE2, whose matching time is linear in the input.

A hostile pattern such as ``(a+)+$`` cannot backtrack on RE2, and a pattern whose
compiled program would need more than :data:`steward.policy.limits.REGEX_MAX_MEMORY_BYTES`
is refused up front. Features RE2 does not have (backreferences, look-around) are
refused with RE2's own explanation rather than silently run on a slower engine. It sits in
``policy/`` because a policy refuses such a pattern when it is read; the detectors that run
patterns (custom regexes, the PII prefilter) compile them with the same options.
"""

from __future__ import annotations

import re2

from steward.policy import limits

__all__ = ["check_pattern", "compile_safe", "re2_options"]


def re2_options() -> re2.Options:
    """RE2 options for user patterns: bounded memory, errors raised rather than logged."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = limits.REGEX_MAX_MEMORY_BYTES
    return options


def compile_safe(pattern: str) -> re2._Regexp:
    """Compile ``pattern`` on RE2 or raise ``ValueError`` saying why it is refused."""
    try:
        return re2.compile(pattern, re2_options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"pattern is not accepted by the linear-time regex engine ({reason}); "
            "backreferences and look-around are not supported"
        ) from None


def check_pattern(pattern: str) -> None:
    """Raise ``ValueError`` if ``pattern`` cannot be used as a custom regex filter."""
    compiled = compile_safe(pattern)
    if compiled.search("") is not None:
        raise ValueError("pattern matches the empty string, so it would flag every text")
