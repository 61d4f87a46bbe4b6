"""Data-flow rules: where a request may go, by what the input guard found in it.

A policy's ``data_flow`` list names finding types (PII entity types or custom regex names
from ``sensitive_information``) and what their presence means for the proxy's choice of
upstream. Upstreams are deployment settings, not policy, so a rule speaks only of the two
kinds every upstream is marked with: ``local`` (runs where the data may go) and
``external`` (a third party's model).

* ``LOCAL_ONLY``: the request never reaches an external upstream. It goes to a local one,
  or, when none is configured, is blocked with a message naming the rule (never the text).
* ``MASK_EXTERNAL``: those types are masked before the request reaches an external
  upstream; a local upstream receives them as sent.

A type in both kinds of rule is kept local (``LOCAL_ONLY`` wins). The rules add to the
guard; they do not replace it: a type the guard itself masks (``ANONYMIZE``) or blocks is
masked or blocked for every upstream, so a type that should reach a local upstream as is
must be detected with ``action: NONE`` in ``sensitive_information``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DATA_FLOW_RULES_MAX", "DataFlowRule", "FlowAction"]

#: Most data-flow rules in one policy.
DATA_FLOW_RULES_MAX = 32
#: Most finding types one rule names (the 31 PII types plus 10 regexes fit).
DATA_FLOW_TYPES_MAX = 64


class FlowAction(StrEnum):
    """What a data-flow rule does when one of its types is found in a request."""

    LOCAL_ONLY = "LOCAL_ONLY"
    MASK_EXTERNAL = "MASK_EXTERNAL"


class DataFlowRule(BaseModel):
    """One rule: ``types`` found in a request -> ``action`` on the choice of upstream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$")
    types: list[str] = Field(min_length=1, max_length=DATA_FLOW_TYPES_MAX)
    action: FlowAction
    description: str = Field(default="", max_length=500)

    @field_validator("types")
    @classmethod
    def _distinct(cls, types: list[str]) -> list[str]:
        dupes = sorted({t for t in types if types.count(t) > 1})
        if dupes:
            raise ValueError(f"types must be distinct; repeated: {', '.join(dupes)}")
        return types
