"""Guarding the tool calls in a model's answer: their arguments are output text too.

A model can put anything in a tool call's ``arguments`` (a customer's e-mail address on its
way to a search API, an instruction smuggled to another agent), so the proxy applies the
guard (source output) to each call's arguments, as it does to the answer's text: masked
spans are replaced inside the JSON string, and a blocked call withholds the whole answer.

In a stream, tool-call deltas are collected per choice and released whole when the choice
ends, after the guard has seen the complete arguments; clients assemble tool calls from
deltas anyway, so one complete delta is as valid as many pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steward.anonymize import PseudonymVault
from steward.assessment import Assessment, Source
from steward.errors import UpstreamError
from steward.guard import Guard
from steward.policy import limits

__all__ = ["GuardedCalls", "ToolCallBuffer", "guard_tool_calls"]


@dataclass(slots=True)
class GuardedCalls:
    """The tool calls after the guard: masked calls, each call's assessment, the first block."""

    calls: list[dict[str, Any]]
    assessments: list[Assessment] = field(default_factory=list)
    blocked: Assessment | None = None


def _arguments(call: Any, where: str) -> str | None:
    if not isinstance(call, dict):
        raise UpstreamError(f"the upstream's {where} is not an object")
    function = call.get("function")
    if function is None:
        return None
    if not isinstance(function, dict):
        raise UpstreamError(f"the upstream's {where}.function is not an object")
    arguments = function.get("arguments")
    if arguments is None:
        return None
    if not isinstance(arguments, str):
        raise UpstreamError(f"the upstream's {where}.function.arguments is not a string")
    return arguments


def guard_tool_calls(
    guard: Guard, calls: list[Any], *, vault: PseudonymVault | None, where: str = "tool_calls"
) -> GuardedCalls:
    """Apply ``guard`` to every call's arguments; stop at the first block."""
    result = GuardedCalls(calls=[])
    for k, call in enumerate(calls):
        arguments = _arguments(call, f"{where}[{k}]")
        if not arguments:
            result.calls.append(call)
            continue
        assessment = guard.apply(arguments, Source.OUTPUT, vault=vault)
        result.assessments.append(assessment)
        if assessment.blocked:
            result.blocked = assessment
            return result
        if assessment.intervened and assessment.output_text is not None:
            call = {**call, "function": {**call["function"], "arguments": assessment.output_text}}
        result.calls.append(call)
    return result


class ToolCallBuffer:
    """The streamed tool-call deltas of one choice, merged into whole calls."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}
        self._chars = 0

    def __bool__(self) -> bool:
        return bool(self._calls)

    def add(self, deltas: Any) -> None:
        """Merge one chunk's ``delta.tool_calls`` (id, type and name once; arguments in pieces)."""
        if not isinstance(deltas, list):
            raise UpstreamError("the upstream streamed tool_calls that are not a list")
        for n, piece in enumerate(deltas):
            if not isinstance(piece, dict):
                raise UpstreamError("the upstream streamed a tool call that is not an object")
            index = piece.get("index", n)
            if not isinstance(index, int):
                raise UpstreamError("the upstream streamed a tool call without an integer index")
            call = self._calls.setdefault(index, {"index": index, "function": {"arguments": ""}})
            for key in ("id", "type"):
                if piece.get(key) is not None:
                    call[key] = piece[key]
            function = piece.get("function")
            if isinstance(function, dict):
                if function.get("name") is not None:
                    call["function"]["name"] = function["name"]
                part = function.get("arguments")
                if isinstance(part, str):
                    self._chars += len(part)
                    if self._chars > limits.TEXT_MAX_CHARS:
                        raise UpstreamError(
                            f"the upstream's tool-call arguments are over {limits.TEXT_MAX_CHARS} characters"
                        )
                    call["function"]["arguments"] += part

    def take(self) -> list[dict[str, Any]]:
        """The whole calls, by index, and an empty buffer."""
        calls = [self._calls[i] for i in sorted(self._calls)]
        self._calls = {}
        self._chars = 0
        return calls
