"""The interface of an anonymization operator: what replaces one masked span."""

from __future__ import annotations

from abc import ABC, abstractmethod

from steward.assessment import Finding

__all__ = ["Operator"]


class Operator(ABC):
    """Turns one finding into the text that replaces it."""

    @abstractmethod
    def replacement(self, finding: Finding) -> str:
        """The replacement for ``finding.match``."""
