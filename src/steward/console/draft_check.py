"""Checking a DRAFT policy written as YAML, each problem pointing at its field and line.

Validation is the API's own: :func:`steward.policy.parse_policy_text` (YAML, then the same
:func:`~steward.policy.parse_policy` ``PUT /v1/guardrails/{id}`` runs), so the console never
accepts a policy the API would refuse, nor words a problem differently. What this module
adds is *where*: each ``(field path, message)`` the validator names is located in the YAML
text (by walking PyYAML's node tree along the path), so the editor can show "line 7" and put
the cursor there. A field that is missing points at the mapping that should hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from steward.errors import PolicyError
from steward.policy import Policy, parse_policy_text
from steward.policy.io import POLICY_FILE_MAX_BYTES

__all__ = ["Problem", "check_draft", "line_of"]

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: the field path (empty for the document itself), the message, the line (1-based)."""

    field: str
    message: str
    line: int | None

    def to_dict(self) -> dict[str, object]:
        """The JSON form the live check answers with."""
        return {"field": self.field, "message": self.message, "line": self.line}


def line_of(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line of the field at ``path`` (``a.b[2].c``) in a composed YAML document; the
    deepest enclosing node's line when the path goes further than the text (a missing field)."""
    if root is None:
        return None
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for name, index in _STEP.findall(path):
        if isinstance(node, yaml.MappingNode) and name:
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == name), None)
            if found is None:
                return line
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and index:
            position = int(index)
            if position >= len(node.value):
                return line
            node = node.value[position]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def check_draft(text: str) -> tuple[Policy | None, list[Problem]]:
    """The policy ``text`` describes, or None and every problem with its field and line."""
    try:
        return parse_policy_text(text, origin="policy"), []
    except PolicyError as exc:
        error = exc
    if len(text.encode("utf-8", "surrogatepass")) > POLICY_FILE_MAX_BYTES:
        return None, [Problem("", error.message, None)]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as syntax:
        mark = getattr(syntax, "problem_mark", None)
        return None, [Problem("", error.message, mark.line + 1 if mark else None)]
    if not error.problems:
        return None, [Problem("", error.message, line_of(root, ""))]
    return None, [
        Problem(
            "" if path == "(policy)" else path, message, line_of(root, "" if path == "(policy)" else path)
        )
        for path, message in error.problems
    ]
