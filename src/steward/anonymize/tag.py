"""Replace each masked span with its type in braces, as Bedrock does: ``{EMAIL}``."""

from __future__ import annotations

from steward.anonymize.base import Operator
from steward.assessment import Finding

__all__ = ["TagOperator"]


class TagOperator(Operator):
    """``{TYPE}`` for every span."""

    def replacement(self, finding: Finding) -> str:
        return "{" + finding.type + "}"
